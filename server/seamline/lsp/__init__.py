"""The language server: a thin adapter from LSP to Seamline's core (see server.py)."""
