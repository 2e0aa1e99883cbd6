"""The one base class of the errors balkhash reports to its users.

Every error that means "the input cannot be used" or "there is no solution" derives from
:class:`BalkhashError`; the command line (:mod:`balkhash.cli.errors`) turns each into a message and
an exit code in one place and never shows a traceback for them.  ``exit_code`` is the code the
command line exits with: 1 for invalid input (the default), 2 when the model has no solution.
"""

from __future__ import annotations

EXIT_INVALID = 1
EXIT_NO_SOLUTION = 2


class BalkhashError(Exception):
    """Base of every error balkhash reports as a message: bad input, no solution, unwritable output."""

    exit_code: int = EXIT_INVALID


__all__ = ["EXIT_INVALID", "EXIT_NO_SOLUTION", "BalkhashError"]
