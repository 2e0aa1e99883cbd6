"""What the command line prints: the consoles, problems and errors (literally, never as markup),
the run summary of ``balkhash plan`` and the compact tables of the studies.

Numbers arrive at full precision; everything here rounds them for display.
"""

from __future__ import annotations

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

console = Console()
err_console = Console(stderr=True)


# -- problems and errors ----------------------------------------------------------------------------
def print_problems(problems) -> None:
    """Every problem on its own line, the text exactly as written (brackets included)."""
    err_console.print(Text(f"{len(problems)} problem(s) found:", style="bold red"))
    for p in problems:
        err_console.print(Text.assemble(("  - ", "red"), str(p)), highlight=False, soft_wrap=True)


def print_error(message: str, head: str = "error") -> None:
    """``head: message`` on stderr, the head in bold red, the message literally."""
    err_console.print(Text.assemble((head, "bold red"), ": ", message), highlight=False, soft_wrap=True)


def print_text(message: str, soft_wrap: bool = False) -> None:
    """A line on stdout, printed literally (wrapped at the console width unless ``soft_wrap``)."""
    console.print(Text(message), highlight=False, soft_wrap=soft_wrap)


# -- progress -------------------------------------------------------------------------------------
def working(text: str, off: bool = False):
    """A transient spinner on stderr while a long step runs (nothing when off or not a terminal)."""
    from contextlib import nullcontext

    return nullcontext() if off else err_console.status(text)


def progress_bar(total: int | None, label: str, transient: bool = False):
    """A rich progress bar on stderr (hidden for a single step)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=err_console, transient=transient,
                    disable=total is not None and total <= 1)


# -- numbers --------------------------------------------------------------------------------------
def num(x, fmt: str) -> str:
    """A number for a table cell: '-' when missing, no negative zero."""
    if x is None or x != x:
        return "-"
    text = format(x + 0.0, fmt)
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def compact_table(title: str) -> Table:
    """A compact table (no vertical rules) that keeps numbers whole on an 80-column terminal."""
    from rich import box

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                 collapse_padding=True, show_edge=False)


# -- the run summary --------------------------------------------------------------------------------
def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole > 0 else "-"


def _cell(text: str, style: str | None = None) -> Text:
    return Text(text, style=style or "")


def print_summary(out: Console, summary: dict, basin=None) -> None:
    """The summary of one run: sectors, lakes, reservoirs, energy, violated targets, timings."""
    status = summary["status"]
    colour = "green" if status == "optimal" else "yellow"
    p = summary["periods"]
    out.print(Text.assemble(
        (summary["basin"], "bold"),
        f" {p['first']}..{p['last']} ({p['count']} {p.get('step', 'month')}s): ",
        (status, colour), f", objective {summary['objective']:,.1f} (cost units: shortfall costs and penalties)",
    ))
    sim = summary.get("simulation")
    if sim:
        out.print(Text("mode optimise: the whole horizon at once, perfect foresight" if sim["mode"] == "optimise"
                       else f"mode {sim['mode']}: window {sim['window']}, every {sim['every']}, forecast "
                            f"{sim['forecast']} ({sim.get('replans', '?')} re-plans)"))

    t = Table(title="Water users by sector (Mm3 over the horizon)", title_justify="left")
    for col in ("sector", "target", "delivered", "shortfall", "shortfall %"):
        t.add_column(col, justify="right" if col != "sector" else "left")
    tot = [0.0, 0.0, 0.0]
    for sector, target in summary["target_mm3_by_sector"].items():
        dlv = summary["delivered_mm3_by_sector"][sector]
        sh = summary["shortfall_mm3_by_sector"][sector]
        tot = [tot[0] + target, tot[1] + dlv, tot[2] + sh]
        t.add_row(_cell(sector), num(target, ",.1f"), num(dlv, ",.1f"), num(sh, ",.1f"), _pct(sh, target))
    t.add_row(_cell("total", "bold"), num(tot[0], ",.1f"), num(tot[1], ",.1f"), num(tot[2], ",.1f"),
              _pct(tot[2], tot[0]))
    out.print(t)
    if summary.get("groups"):
        _print_groups(out, summary["groups"], basin)

    for lake in summary["lakes"]:
        _print_lake(out, lake)

    if summary["reservoirs"]:
        rt = Table(title="Reservoirs (Mm3)", title_justify="left")
        for col in ("reservoir", "start", "lowest", "end", "bounds", "evaporation"):
            rt.add_column(col, justify="right" if col != "reservoir" else "left")
        for r in summary["reservoirs"]:
            lo, hi = r["bounds_mm3"]
            rt.add_row(_cell(r["node"]), num(r["storage_start_mm3"], ",.0f"), num(r["storage_min_mm3"], ",.0f"),
                       num(r["storage_end_mm3"], ",.0f"), f"{num(lo, ',.0f')}..{num(hi, ',.0f')}",
                       num(r["evaporation_mm3"], ",.1f"))
        out.print(rt)

    if summary.get("energy_gwh"):
        out.print(Text("Hydropower: " + ", ".join(f"{p} {num(e, ',.0f')} GWh"
                                                   for p, e in summary["energy_gwh"].items())))
    _print_violations(out, summary["violations"])
    for note in summary.get("notes", []):
        out.print(Text.assemble(("note", "yellow"), f": {note}"))
    tm = summary.get("timings", {})
    if tm:
        aggregate = f"aggregate {tm['aggregate']:.2f} s, " if tm.get("aggregate") else ""
        out.print(
            f"timings: check+compile {tm.get('compile', 0):.2f} s, build LP {tm.get('build', 0):.2f} s, {aggregate}"
            f"load {tm.get('load', 0):.2f} s, solve {tm.get('solve', 0):.2f} s, extract {tm.get('extract', 0):.2f} s"
        )


def _print_groups(out: Console, groups: dict, basin=None) -> None:
    """Groups of users (districts, canals, intakes): their limits summed over the members, in Mm3
    over the horizon and as the mean flow over the horizon's days (m3/s, with the basin)."""
    days = float(basin.timeline().days.sum()) if basin is not None else None
    t = Table(title="Groups of users (Mm3 over the horizon" + (", m3/s the mean flow)" if days else ")"),
              title_justify="left")
    cols = ["group", "users", "target", "limit", *(["m3/s"] if days else []), "shortfall", "short %"]
    for col in cols:
        t.add_column(col, justify="left" if col == "group" else "right")
    for name, g in groups.items():
        rate = [num(g["delivered_mm3"] * 1e6 / (86_400.0 * days), ",.2f")] if days else []
        t.add_row(_cell(name), str(len(g["demands"])), num(g["target_mm3"], ",.1f"),
                  num(g["delivered_mm3"], ",.1f"), *rate, num(g["shortfall_mm3"], ",.1f"),
                  _pct(g["shortfall_mm3"], g["target_mm3"]))
    out.print(t)


def _print_lake(out: Console, lake: dict) -> None:
    lt = Table(title=f"Lake {lake['node']}", title_justify="left", show_header=False)
    lt.add_column("what")
    lt.add_column("value", justify="right")
    tgt = lake.get("inflow_target_km3")
    for wy, v in lake["annual_inflow_km3"].items():
        text = Text(f"{v:.2f} km3" + (f" (target {tgt:g})" if tgt else ""))
        if tgt is not None:
            text.append("  >= target" if v >= tgt - 1e-6 else "  < target", style="green" if v >= tgt - 1e-6 else "red")
        lt.add_row(f"inflow water year {wy}", text)
    if not lake["annual_inflow_km3"]:
        lt.add_row("inflow over the horizon", f"{lake['horizon_inflow_km3']:.2f} km3")
    lt.add_row("level start / min / end",
               f"{lake['level_start_m']:.2f} / {lake['level_min_m']:.2f} / {lake['level_end_m']:.2f} m BS")
    lvl_t = lake.get("level_target_m")
    if lvl_t is not None:
        held = lake["level_min_m"] >= lvl_t - 1e-6
        mark = ("held", "green") if held else ("violated", "red")
        lt.add_row("level target", Text.assemble(f"{lvl_t:.2f} m BS ", mark))
    lt.add_row("evaporation / precipitation", f"{lake['evaporation_km3']:.2f} / {lake['precipitation_km3']:.2f} km3")
    out.print(lt)


def _print_violations(out: Console, viol: list[dict]) -> None:
    if not viol:
        out.print(Text("All targets met.", style="green"))
        return
    from rich import box

    from ..outputs.common import violation_text

    groups: dict[str, list[dict]] = {}
    for v in viol:
        groups.setdefault(v["target"], []).append(v)
    vt = Table(title=f"Violated targets: {violation_text({'violations': viol}, ', see targets.csv')}",
               title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("target", "left"), ("where", "left"), ("when", "left"), ("worst", "right"), ("total", "right"),
        ("unit", "left"))
    for col, just in columns:
        vt.add_column(col, justify=just, no_wrap=True)
    for tid, vs in groups.items():
        unit = vs[0]["unit"]
        fmt = ".2f" if unit == "m" else ",.1f"
        when = vs[0]["period_or_year"] if len(vs) == 1 else f"{vs[0]['period_or_year']}..{vs[-1]['period_or_year']}"
        worst = max(v["amount"] for v in vs)
        total = "" if unit == "m" else num(sum(v["amount"] for v in vs), fmt)
        vt.add_row(_cell(tid), _cell(vs[0]["node_or_link"]), _cell(str(when)), num(worst, fmt), total, _cell(unit))
    out.print(vt)
