"""The long-running loop shell around ssop.core."""
