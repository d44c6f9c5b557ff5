"""Run the ``peuplement`` command with ``python -m peuplement``."""

from peuplement.cli import main

main()
