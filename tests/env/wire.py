"""Tiny wire-protocol clients, so the env tests prove the wired URLs really work without
installing drivers: PostgreSQL (startup + SCRAM-SHA-256/md5 + one simple query), Redis (RESP PING),
AMQP (protocol header -> Connection.Start)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import struct
from urllib.parse import unquote, urlsplit


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return data


def _message(sock: socket.socket) -> tuple[bytes, bytes]:
    kind = _recv_exact(sock, 1)
    (length,) = struct.unpack("!i", _recv_exact(sock, 4))
    return kind, _recv_exact(sock, length - 4)


def _send(sock: socket.socket, kind: bytes, body: bytes) -> None:
    sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)


def _error(body: bytes) -> str:
    fields = {f[:1]: f[1:].decode() for f in body.split(b"\0") if f}
    return f"{fields.get(b'C', '')} {fields.get(b'M', '')}"


def _scram(sock: socket.socket, password: str) -> None:
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n=,r={nonce}"
    first = f"n,,{first_bare}".encode()
    _send(sock, b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
    kind, body = _message(sock)
    if kind != b"R" or struct.unpack("!i", body[:4])[0] != 11:
        raise ConnectionError(f"unexpected SCRAM reply {kind!r}: {_error(body) if kind == b'E' else body!r}")
    server_first = body[4:].decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    _send(sock, b"p", f"{without_proof},p={base64.b64encode(proof).decode()}".encode())


def pg_query_one(url: str, sql: str, *, timeout: float = 10) -> list[str | None]:
    """Connect with the credentials in a postgresql:// URL and return the first row of `sql`."""
    u = urlsplit(url)
    user, password, database = unquote(u.username or ""), unquote(u.password or ""), u.path.lstrip("/")
    with socket.create_connection((u.hostname, u.port or 5432), timeout=timeout) as sock:
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        startup = struct.pack("!i", 196608) + params
        sock.sendall(struct.pack("!i", len(startup) + 4) + startup)
        while True:
            kind, body = _message(sock)
            if kind == b"E":
                raise ConnectionError(_error(body))
            if kind == b"R":
                code = struct.unpack("!i", body[:4])[0]
                if code == 10:
                    _scram(sock, password)
                elif code == 5:
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    _send(sock, b"p", b"md5" + hashlib.md5(inner.encode() + body[4:8]).hexdigest().encode() + b"\0")
                elif code == 3:
                    _send(sock, b"p", password.encode() + b"\0")
            elif kind == b"Z":
                break
        _send(sock, b"Q", sql.encode() + b"\0")
        row: list[str | None] | None = None
        while True:
            kind, body = _message(sock)
            if kind == b"E":
                raise ConnectionError(_error(body))
            if kind == b"D" and row is None:
                (count,), at, row = struct.unpack("!h", body[:2]), 2, []
                for _ in range(count):
                    (n,) = struct.unpack("!i", body[at:at + 4])
                    at += 4
                    row.append(None if n < 0 else body[at:at + n].decode())
                    at += max(n, 0)
            elif kind == b"Z":
                return row or []


def redis_ping(url: str, *, timeout: float = 5) -> bytes:
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port or 6379), timeout=timeout) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        return sock.recv(64)


def amqp_connection_start(url: str, *, timeout: float = 5) -> bytes:
    """The first frame a broker sends after the AMQP 0-9-1 protocol header (Connection.Start)."""
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port or 5672), timeout=timeout) as sock:
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        return _recv_exact(sock, 11)
