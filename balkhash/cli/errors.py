"""Errors into messages and exit codes, in one place.

Every command runs inside :func:`guarded`: an error balkhash knows (:class:`balkhash.errors.BalkhashError`
and its kinds) is printed as a message on stderr — literally, never as rich markup — and the
command exits with its code: **1** invalid input (or a file that cannot be written), **2** no
solution.  Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from ..errors import EXIT_INVALID, EXIT_NO_SOLUTION, BalkhashError
from .console import print_error, print_problems

#: errors of modules that do not derive from BalkhashError yet: (module, class, exit code).  Looked up
#: in sys.modules only, so that no heavy module is imported to recognise its error.
_KNOWN = (
    ("balkhash.allocation.solve", "SolveError", EXIT_NO_SOLUTION),
    ("balkhash.allocation.writer", "OutputError", EXIT_INVALID),
    ("balkhash.outputs.sweep", "SweepError", EXIT_INVALID),
)


class CommandError(BalkhashError):
    """A command cannot do what it was asked: option values that do not fit, an unknown basin name,
    a scenario file holding several scenarios where one is needed, a file that cannot be written."""


def _known(exc: BaseException) -> tuple[str, int] | None:
    for module, name, code in _KNOWN:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return name, code
    return None


def is_no_solution(exc: BaseException) -> bool:
    known = _known(exc)
    return known is not None and known[0] == "SolveError"


def exit_code(exc: BaseException) -> int | None:
    """The exit code for ``exc``, or None when it is not an error balkhash reports."""
    known = _known(exc)
    if known is not None:
        return known[1]
    if isinstance(exc, BalkhashError):
        return exc.exit_code
    return None


def report(exc: BaseException, context: str | None = None) -> int:
    """Print ``exc`` for the user (``context``: the scenario it concerns) and return its exit code."""
    problems = getattr(exc, "problems", None)
    if problems:
        print_problems(problems)
    elif is_no_solution(exc):
        head = f"{context}: no solution ({getattr(exc, 'status', 'unknown')})" if context else \
            f"no solution ({getattr(exc, 'status', 'unknown')})"
        print_error(str(exc), head=head)
    else:
        print_error(str(exc), head=f"{context}: error" if context else "error")
    code = exit_code(exc)
    return EXIT_INVALID if code is None else code


@contextmanager
def writing(what: str) -> Iterator[None]:
    """Turn a failure to write ``what`` (OSError, OutputError) into a CommandError naming it."""
    try:
        yield
    except OSError as exc:
        raise CommandError(f"cannot write {what}: {exc}") from None
    except Exception as exc:
        known = _known(exc)
        if known is None or known[0] != "OutputError":
            raise
        raise CommandError(f"cannot write {what}: {exc}") from None


def guarded(command: Callable) -> Callable:
    """``command`` with every known error printed and turned into its exit code."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            if exit_code(exc) is None:
                raise
            raise typer.Exit(report(exc)) from None

    return run
