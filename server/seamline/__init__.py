"""Seamline: integration tests and disposable test environments for Python web services."""

__version__ = "0.1.0"
