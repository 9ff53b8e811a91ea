"""Domain and services. Imports no CLI or TUI library (checked by tests)."""
