"""Operating ssop itself: first run, quickstart, health, settings changes, store
housekeeping and the daemon registry."""
