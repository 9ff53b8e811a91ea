"""Accounts: users, roles and capabilities, passwords, sessions, tokens, and the checks on every call."""
