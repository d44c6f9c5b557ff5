"""The ``peuplement`` command: one module per command, sharing one error-handling wrapper.

Every command ends on a French message and a non-zero exit code on bad input, never on a
Python traceback (``peuplement --debug …`` shows one for a bug report).
"""

from peuplement.cli import (
    donnees,
    epci,
    indicators,
    lec,
    map,
    modele,
    national,
    quartile,
    report,
    synth,
    tendances,
    territory,
)
from peuplement.cli._app import app, french_help
from peuplement.cli._usage import main

__all__ = ["app", "main"]

# The command modules register themselves on ``app`` when imported.
_COMMANDS = (
    territory,
    indicators,
    synth,
    lec,
    quartile,
    map,
    report,
    national,
    tendances,
    epci,
    donnees,
    modele,
)
french_help(app)
