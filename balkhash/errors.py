"""The one base class of the errors balkhash reports to its users.

Every error that means "the input cannot be used" or "there is no solution" derives from
:class:`BalkhashError`; the command line (:mod:`balkhash.cli.errors`) turns each into a message and
an exit code in one place and never shows a traceback for them.  ``exit_code`` is the code the
command line exits with: 1 for invalid input (the default), 3 when the model has no solution.
Exit code 2 is the command line's own: a usage error (an unknown option, a value out of range).
"""

from __future__ import annotations

EXIT_INVALID = 1
#: 2 is a usage error (typer/click): no solution has its own code
EXIT_USAGE = 2
EXIT_NO_SOLUTION = 3


class BalkhashError(Exception):
    """Base of every error balkhash reports as a message: bad input, no solution, unwritable output."""

    exit_code: int = EXIT_INVALID


__all__ = ["EXIT_INVALID", "EXIT_NO_SOLUTION", "EXIT_USAGE", "BalkhashError"]
