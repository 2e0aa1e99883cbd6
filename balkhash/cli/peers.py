"""``balkhash import ...``: models of other tools converted into basin directories (docs/peers.md)."""

from __future__ import annotations

import typer

from .errors import guarded, writing

import_app = typer.Typer(no_args_is_help=True, help="Convert a model of another tool into a basin directory.",
                         rich_markup_mode="markdown")


def calvin(
    links: str = typer.Argument(..., help="CALVIN links file (CSV, optionally .gz): i,j,k,cost,amplitude,"
                                "lower_bound,upper_bound"),
    outdir: str = typer.Argument(..., help="basin directory to write (basin.yaml and its CSV tables)"),
    name: str | None = typer.Option(None, "--name", help="basin name (default: the file's name)"),
    unit: str = typer.Option("taf", "--unit", help="the file's volume unit, one of: taf (thousand acre-feet, "
                             "CALVIN's; converted to Mm3, costs per Mm3), mm3 (the numbers as they are)"),
) -> None:
    """CALVIN links (time-expanded nodes NODE.YYYY-MM-DD) folded back into nodes x monthly periods:
    segments k, amplitudes, bounds per month, INITIAL/FINAL storage links; what cannot be converted
    is listed and the model refused."""
    from ..peers.calvin import import_calvin
    from .console import print_text

    with writing(f"the basin directory {outdir}"):
        report = import_calvin(links, outdir, name=name, unit=unit)
    print_text(report.summary())


import_app.command("calvin")(guarded(calvin))


def pywr(
    model: str = typer.Argument(..., help="Pywr model (JSON)"),
    outdir: str = typer.Argument(..., help="basin directory to write (basin.yaml and pywr.json)"),
    name: str | None = typer.Option(None, "--name", help="basin name (default: the model's title)"),
) -> None:
    """A Pywr model: each timestep one period, to run in step mode (`plan --mode step`); what cannot be
    converted is listed and the model refused."""
    from ..peers.pywr_import import import_pywr
    from .console import print_text

    with writing(f"the basin directory {outdir}"):
        conv = import_pywr(model, outdir, name=name)
    print_text(conv.summary(outdir))


import_app.command("pywr")(guarded(pywr))


export_app = typer.Typer(no_args_is_help=True, help="Write a basin as a model of another tool.",
                         rich_markup_mode="markdown")


def export_pywr(
    basin: str = typer.Argument(..., help="basin dir/file or bundled name (e.g. ile_balkhash)"),
    model: str = typer.Argument(..., help="Pywr model to write (JSON; its series go to the .csv beside it)"),
) -> None:
    """The basin as a Pywr model (monthly timesteps), to run the same basin in Pywr; what Pywr does
    not express is listed (docs/peers.md)."""
    from ..peers.pywr_export import export_pywr as run_export
    from .console import print_text

    out = run_export(basin)
    with writing(f"the Pywr model {model}"):
        out.write(model)
    b = out.model
    print_text(f"Pywr model -> {model}: {len(b['nodes'])} nodes, {len(b['edges'])} edges, "
               f"{len(out.series.columns)} series in {model.rsplit('.', 1)[0]}.csv")
    for a in out.approximations:
        print_text(f"approximation: {a}")


export_app.command("pywr")(guarded(export_pywr))
