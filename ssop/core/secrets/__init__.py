"""Secrets at rest: the master key, sealing and opening, and rotation."""
