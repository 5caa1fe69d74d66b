"""Configuration: ``defaults.yaml`` (every default), the schema (every range), loading with overrides."""
