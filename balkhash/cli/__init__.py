"""The ``balkhash`` command line.

One typer app; each command lives in the module named for what it does (:mod:`.plan`,
:mod:`.report`, :mod:`.basin`, :mod:`.studies`) and is registered here through
:func:`.errors.guarded`, the one place where errors become messages and exit codes (0 solved,
1 invalid input, 2 usage error (an unknown option, a value out of range), 3 no solution).
Heavy libraries (pandas, pyomo, highspy) are imported inside the
commands that need them.
"""

from __future__ import annotations

import sys

import typer

from . import basin, ensemble, history, peers, plan, report, studies
from .console import err_console, print_text
from .errors import guarded

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Water allocation LP for the Ile-Balkhash basin (Pyomo + HiGHS).",
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

for _name, _command in (
    ("validate", basin.validate),
    ("plan", plan.plan),
    ("report", report.report),
    ("examples", basin.examples),
    ("sweep", studies.sweep),
    ("min-inflow", studies.min_inflow),
    ("tradeoff", studies.tradeoff),
    ("compare", studies.compare),
    ("ensemble", ensemble.ensemble),
    ("hindcast", history.hindcast),
    ("calibrate", history.calibrate),
):
    app.command(_name)(guarded(_command))
app.add_typer(peers.import_app, name="import")
app.add_typer(peers.export_app, name="export")


def _print_version(value: bool) -> None:
    """``balkhash --version``: print the version and exit, no command needed."""
    if value:
        from .. import __version__

        print_text(f"balkhash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True,
                                 callback=_print_version),
) -> None:
    """Water allocation LP for the Ile-Balkhash basin."""


def main() -> None:
    """The console script: run the app; Ctrl-C exits with 130."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


__all__ = ["app", "main"]
