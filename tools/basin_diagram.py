#!/usr/bin/env python
"""Print a Mermaid flowchart of a basin, generated from its data.

    .venv/bin/python tools/basin_diagram.py                      # the embedded Ile-Balkhash basin
    .venv/bin/python tools/basin_diagram.py small_basin          # a bundled example by name
    .venv/bin/python tools/basin_diagram.py path/to/basin_dir    # any basin directory or basin.yaml
    .venv/bin/python tools/basin_diagram.py --direction LR --plain

Shapes: inflow ([ ]), junction (( )), reservoir [( )], demand [ ], lake {{ }}, sink [[ ]].
Solid arrows are links (label: capacity, annual capacity, loss, hydropower plant); dotted
arrows are demand return flows (label: returned share).  Disabled reservoirs and plants are
marked "(disabled)": a disabled reservoir passes water through like a junction.  Node labels
give the mean annual volume over the first water year of the calendar (inflows, demand
targets) and the storage range (reservoirs); ``--plain`` leaves the numbers out.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

SHAPES = {
    "inflow": ('(["', '"])'),
    "junction": ('(("', '"))'),
    "reservoir": ('[("', '")]'),
    "demand": ('["', '"]'),
    "lake": ('{{"', '"}}'),
    "sink": ('[["', '"]]'),
}
CLASSES = {
    "inflow": "fill:#dbeafe,stroke:#1d4ed8",
    "junction": "fill:#f3f4f6,stroke:#6b7280",
    "reservoir": "fill:#bfdbfe,stroke:#1e40af",
    "demand": "fill:#fef3c7,stroke:#b45309",
    "lake": "fill:#93c5fd,stroke:#1e3a8a",
    "sink": "fill:#e5e7eb,stroke:#374151",
    "disabled": "fill:#ffffff,stroke:#9ca3af,stroke-dasharray:4 3",
}


def resolve(path: str | None) -> Path:
    """A basin directory from a path or a bundled name (default: the embedded Ile-Balkhash basin)."""
    from balkhash.data import data_dir, default_basin_path, example_path

    if path is None:
        return default_basin_path()
    p = Path(path)
    if p.exists():
        return p
    if (data_dir() / path / "basin.yaml").exists():
        return data_dir() / path
    return example_path(path)


def mermaid_id(ident: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_]", "_", ident)
    return out if not out[0].isdigit() else "n" + out


def text(s: str) -> str:
    return s.replace('"', "#quot;")


def _fmt_volume_mm3(v: float) -> str:
    return f"{v / 1000:.3g} km3" if v >= 1000 else f"{v:.3g} Mm3"


def _annual_mm3(fs, basin, tl) -> float | None:
    """Volume of a flow series over the first 12 periods (Mm3), or None if it cannot be resolved."""
    from balkhash.network.series import flow_mm3

    try:
        return float(np.sum(flow_mm3(fs, basin, tl)[:12]))
    except Exception:  # a series that does not resolve is the validator's business
        return None


def _flow_text(fs, basin, tl) -> str | None:
    """A capacity as written: '80 m3/s', '0.4 km3/yr', or the volume over the first year."""
    if fs is None:
        return None
    if fs.value is not None:
        return f"{fs.value:g} {fs.unit}"
    if fs.annual is not None:
        return f"{fs.annual:g} {fs.unit}"
    v = _annual_mm3(fs, basin, tl)
    return None if v is None else f"{_fmt_volume_mm3(v)}/yr"


def node_label(n, basin, tl, plain: bool) -> str:
    title = f"{n.id}" if not n.name else f"{n.name}"
    lines = [f"<b>{text(title)}</b>"]
    if plain:
        return "<br/>".join(lines)
    if n.type == "inflow":
        v = _annual_mm3(n.inflow, basin, tl)
        extra = f" from {n.country}" if getattr(n, "country", None) else ""
        if v is not None:
            lines.append(f"{_fmt_volume_mm3(v)}/yr{extra}")
    elif n.type == "junction" and n.inflow is not None:
        v = _annual_mm3(n.inflow, basin, tl)
        if v is not None:
            lines.append(f"+{_fmt_volume_mm3(v)}/yr local")
    elif n.type == "reservoir":
        rng = f"{_fmt_volume_mm3(n.min_storage.mm3)}..{_fmt_volume_mm3(n.max_storage.mm3)}"
        lines.append(rng + ("" if n.enabled else " (disabled)"))
    elif n.type == "demand":
        v = _annual_mm3(n.target, basin, tl)
        if v is not None:
            lines.append(f"{n.sector}: {_fmt_volume_mm3(v)}/yr")
    elif n.type == "lake":
        lines.append(f"level {n.initial_level_m:g} m at start")
    return "<br/>".join(lines)


def link_label(lk, basin, tl, plants: dict, plain: bool) -> str:
    parts = []
    for p in plants.get(lk.id, []):
        parts.append(f"{p.id} {p.capacity_mw:g} MW" + ("" if p.enabled else " (disabled)"))
    if not plain:
        cap = _flow_text(lk.capacity, basin, tl)
        if cap:
            parts.append(f"max {cap}")
        ann = _flow_text(lk.annual_capacity, basin, tl)
        if ann:
            parts.append(f"max {ann}")
        if lk.loss_fraction:
            parts.append(f"loss {lk.loss_fraction:.0%}")
    return text(", ".join(parts))


def diagram(basin, direction: str = "TD", plain: bool = False) -> str:
    tl = basin.timeline()
    plants: dict = {}
    for p in basin.hydropower:
        plants.setdefault(p.link, []).append(p)
    out = [f"flowchart {direction}"]
    for n in basin.nodes:
        a, b = SHAPES[n.type]
        out.append(f"    {mermaid_id(n.id)}{a}{node_label(n, basin, tl, plain)}{b}")
    for lk in basin.links:
        label = link_label(lk, basin, tl, plants, plain)
        arrow = f'-->|"{label}"|' if label else "-->"
        out.append(f"    {mermaid_id(lk.from_)} {arrow} {mermaid_id(lk.to)}")
    for n in basin.nodes:
        if n.type == "demand" and n.return_to and n.consumptive_fraction < 1.0:
            share = "" if plain else f'|"{1 - n.consumptive_fraction:.0%} returns"|'
            out.append(f"    {mermaid_id(n.id)} -.->{share} {mermaid_id(n.return_to)}")
    for kind, style in CLASSES.items():
        out.append(f"    classDef {kind} {style}")
    groups: dict[str, list[str]] = {}
    for n in basin.nodes:
        kind = "disabled" if n.type == "reservoir" and not n.enabled else n.type
        groups.setdefault(kind, []).append(mermaid_id(n.id))
    for kind, ids in groups.items():
        out.append(f"    class {','.join(ids)} {kind}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("basin", nargs="?", help="basin directory, basin.yaml or bundled name (default: ile_balkhash)")
    ap.add_argument("--direction", default="TD", choices=["TD", "TB", "BT", "LR", "RL"])
    ap.add_argument("--plain", action="store_true", help="names only, no numbers")
    ap.add_argument("--fence", action="store_true", help="wrap in a ```mermaid code fence")
    args = ap.parse_args(argv)

    from balkhash.network import load_basin
    from balkhash.network.errors import BasinError

    try:
        basin = load_basin(resolve(args.basin))
    except (BasinError, KeyError) as exc:
        print(f"cannot load basin: {exc}", file=sys.stderr)
        return 1
    text_out = diagram(basin, args.direction, args.plain)
    if args.fence:
        text_out = "```mermaid\n" + text_out + "\n```"
    print(text_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
