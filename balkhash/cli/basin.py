"""``balkhash validate`` and ``balkhash examples``: the basin itself."""

from __future__ import annotations

import typer
from rich.text import Text

from . import options as opt
from .console import console, print_text


def validate(path: str = typer.Argument(..., help="basin directory, basin.yaml, or bundled basin name")) -> None:
    """Check a basin: schema, files, graph, values and its policies. Exit 0 when valid, 1 when not."""
    from ..network.errors import BasinError
    from ..network.policy import check_policies

    basin_path = opt.resolve_basin_path(path)
    basin = opt.load(basin_path)
    problems = check_policies(basin)  # the selected one and every one of options.policies, as plan checks them
    if problems:
        raise BasinError(problems)
    console.print(Text.assemble(
        ("valid", "green"),
        f": {basin.name} — {len(basin.nodes)} nodes, {len(basin.links)} links, {len(basin.targets)} targets, "
        f"{basin.calendar.periods} periods from {basin.calendar.start} ({basin_path})",
    ))


def examples() -> None:
    """List the bundled basins (usable as --basin NAME)."""
    from ..data import data_dir, example_names

    if (data_dir() / "ile_balkhash" / "basin.yaml").exists():
        print_text(f"ile_balkhash  {data_dir() / 'ile_balkhash'}  (default)")
    for name in example_names():
        print_text(f"{name}  {data_dir() / 'examples' / name}")
