"""``python -m keyguard``."""

from keyguard.cli.main import main

main()
