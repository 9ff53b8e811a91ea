"""Guard rails: well-formed values that must never be acted on.

ssop's own addresses, protected units and processes, paths outside the
cleanup roots.
"""
