"""The Typer command-line shell around ssop.core."""
