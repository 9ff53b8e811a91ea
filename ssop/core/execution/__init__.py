"""Executing actions: one recorded run, manual runs over a server or a tag, HTTP actions."""
