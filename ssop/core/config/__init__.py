"""Configuration: the settings schema, loading it from flags, env and TOML, and changing it."""
