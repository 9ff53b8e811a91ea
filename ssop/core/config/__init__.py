"""Configuration: the settings schema, and loading it from flags, env and TOML."""
