"""Accounts: users, roles, passwords, sessions, tokens, the checks on every call.

The audit trail's reader lives here too: reading it needs audit.read.
"""
