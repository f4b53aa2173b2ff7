"""Editor- and docker-free core: analysis, the project model and generators.

Nothing under this package may import pygls, lsprotocol, docker or another Seamline
front door; tests/core/test_import_boundary.py enforces it.
"""
