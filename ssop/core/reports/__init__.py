"""Reports and fleet status, aggregated in SQL from what the store already holds."""
