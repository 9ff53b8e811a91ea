"""Allow ``python -m ssop``."""

from ssop.cli.main import run

run()
