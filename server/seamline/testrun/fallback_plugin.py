"""A pytest plugin for `seamline run` without docker: Redis clients become fakeredis ones, in process.

`seamline run` copies this file beside a fallback run and loads it with `-p`, so it works in whatever
interpreter runs the tests; it imports nothing from Seamline. Plugins given with `-p` are imported
before any conftest, so the app, imported by the conftest, already sees the fake clients. Clients made
for the same host and port share one fake server, as they would share a real one.
"""

from __future__ import annotations

import fakeredis
import redis
import redis.asyncio

redis.Redis = fakeredis.FakeRedis
redis.StrictRedis = fakeredis.FakeStrictRedis
redis.from_url = fakeredis.FakeRedis.from_url
redis.asyncio.Redis = redis.asyncio.StrictRedis = fakeredis.FakeAsyncRedis
redis.asyncio.from_url = fakeredis.FakeAsyncRedis.from_url
