"""Secrets at rest: the master key, sealing and opening, rotation, and servers' private keys."""
