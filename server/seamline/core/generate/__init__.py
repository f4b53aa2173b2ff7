"""Generators: from the project model to files the user reviews (compose files, env files, tests).

Generators are pure functions returning values; `writer.write_generated` is the one place that
puts generated text on disk, and it never destroys a user's edits.
"""
