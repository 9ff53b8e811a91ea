"""Executing actions: one recorded run, manual runs on a server or tag, HTTP actions."""
