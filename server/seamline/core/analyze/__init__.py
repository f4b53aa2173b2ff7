"""Static analysis: source files -> compact per-module facts -> the project model.

Two phases keep re-scans cheap:
1. `facts.extract` turns one file into `ModuleFacts` (marshal-able tuples, cached by content hash).
2. The framework linkers (`fastapi`, `flask`, `django`) and `services` read only facts, through
   `resolve.Resolver`, to build endpoints, schemas, auth, effects and services.
"""
