"""Errors into messages and exit codes, in one place.

Every command runs inside :func:`guarded`: an error balkhash knows (:class:`balkhash.errors.BalkhashError`
and its kinds) is printed as a message on stderr — literally, never as rich markup — and the
command exits with its code: **1** invalid input (or a file that cannot be written), **3** no
solution (**2** is left to typer's usage errors).  Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from ..errors import EXIT_INVALID, EXIT_NO_SOLUTION, BalkhashError
from .console import print_error, print_problems


class CommandError(BalkhashError):
    """A command cannot do what it was asked: option values that do not fit, an unknown basin name,
    a scenario file holding several scenarios where one is needed, a file that cannot be written."""


def is_no_solution(exc: BaseException) -> bool:
    """True for an error that means the model has no solution (exit code 2: SolveError)."""
    return exit_code(exc) == EXIT_NO_SOLUTION


def exit_code(exc: BaseException) -> int | None:
    """The exit code for ``exc``, or None when it is not an error balkhash reports."""
    return exc.exit_code if isinstance(exc, BalkhashError) else None


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
    except BalkhashError as exc:
        from ..allocation.writer import OutputError  # already loaded when exc is one

        if not isinstance(exc, OutputError):
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
