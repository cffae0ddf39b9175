"""The ``keyguard`` command line (Typer): one module per command group; domains add their
commands through the ``keyguard_cli`` hook. Thin: parses options, calls services, prints.

May import every layer below it.
"""
