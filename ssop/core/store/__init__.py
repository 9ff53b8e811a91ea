"""Persistence: engine, migrations and one repository module per aggregate."""
