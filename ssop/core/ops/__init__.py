"""Operating ssop itself: first run, quickstart, health, store housekeeping, the daemon registry."""
