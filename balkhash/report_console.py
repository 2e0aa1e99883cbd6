"""The rich console summary of a run: sectors, lakes, reservoirs, energy, violations, timings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole > 0 else "-"


def print_summary(console: Console, summary: dict, basin=None) -> None:
    status = summary["status"]
    colour = "green" if status == "optimal" else "yellow"
    console.print(
        f"[bold]{summary['basin']}[/bold] {summary['periods']['first']}..{summary['periods']['last']} "
        f"({summary['periods']['count']} months): [{colour}]{status}[/{colour}], "
        f"objective {summary['objective']:,.1f}"
    )

    t = Table(title="Water users by sector (Mm3 over the horizon)", title_justify="left")
    for col in ("sector", "target", "delivered", "shortfall", "shortfall %"):
        t.add_column(col, justify="right" if col != "sector" else "left")
    tot = [0.0, 0.0, 0.0]
    for sector, target in summary["target_mm3_by_sector"].items():
        dlv = summary["delivered_mm3_by_sector"][sector]
        sh = summary["shortfall_mm3_by_sector"][sector]
        tot = [tot[0] + target, tot[1] + dlv, tot[2] + sh]
        t.add_row(sector, f"{target:,.1f}", f"{dlv:,.1f}", f"{sh:,.1f}", _pct(sh, target))
    t.add_row("[bold]total[/bold]", f"{tot[0]:,.1f}", f"{tot[1]:,.1f}", f"{tot[2]:,.1f}", _pct(tot[2], tot[0]))
    console.print(t)

    for lake in summary["lakes"]:
        lt = Table(title=f"Lake {lake['node']}", title_justify="left", show_header=False)
        lt.add_column("what")
        lt.add_column("value", justify="right")
        tgt = lake.get("inflow_target_km3")
        for wy, v in lake["annual_inflow_km3"].items():
            ok = "" if tgt is None else ("  [green]>= target[/green]" if v >= tgt - 1e-6 else "  [red]< target[/red]")
            lt.add_row(f"inflow water year {wy}", f"{v:.2f} km3" + (f" (target {tgt:g})" if tgt else "") + ok)
        if not lake["annual_inflow_km3"]:
            lt.add_row("inflow over the horizon", f"{lake['horizon_inflow_km3']:.2f} km3")
        lvl_t = lake.get("level_target_m")
        lt.add_row("level start / min / end",
                   f"{lake['level_start_m']:.2f} / {lake['level_min_m']:.2f} / {lake['level_end_m']:.2f} m BS")
        if lvl_t is not None:
            ok = "[green]held[/green]" if lake["level_min_m"] >= lvl_t - 1e-6 else "[red]violated[/red]"
            lt.add_row("level target", f"{lvl_t:.2f} m BS {ok}")
        lt.add_row("evaporation / precipitation",
                   f"{lake['evaporation_km3']:.2f} / {lake['precipitation_km3']:.2f} km3")
        console.print(lt)

    if summary["reservoirs"]:
        rt = Table(title="Reservoirs (Mm3)", title_justify="left")
        for col in ("reservoir", "start", "min", "end", "bounds", "evaporation"):
            rt.add_column(col, justify="right" if col != "reservoir" else "left")
        for r in summary["reservoirs"]:
            rt.add_row(r["node"], f"{r['storage_start_mm3']:,.0f}", f"{r['storage_min_mm3']:,.0f}",
                       f"{r['storage_end_mm3']:,.0f}", f"{r['bounds_mm3'][0]:,.0f}..{r['bounds_mm3'][1]:,.0f}",
                       f"{r['evaporation_mm3']:,.1f}")
        console.print(rt)

    if summary.get("energy_gwh"):
        console.print("Hydropower: " + ", ".join(f"{p} {e:,.0f} GWh" for p, e in summary["energy_gwh"].items()))

    viol = summary["violations"]
    if viol:
        from rich import box

        groups: dict[str, list[dict]] = {}
        for v in viol:
            groups.setdefault(v["target"], []).append(v)
        vt = Table(title=f"Violated targets: {len(groups)} ({len(viol)} periods or years, see targets.csv)",
                   title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
        for col, just in (("target", "left"), ("where", "left"), ("when", "left"), ("worst", "right"),
                          ("total", "right"), ("unit", "left")):
            vt.add_column(col, justify=just, no_wrap=True)
        for tid, vs in groups.items():
            unit = vs[0]["unit"]
            fmt = (lambda x: f"{x:.2f}") if unit == "m" else (lambda x: f"{x:,.1f}")
            when = vs[0]["period_or_year"] if len(vs) == 1 else f"{vs[0]['period_or_year']}..{vs[-1]['period_or_year']}"
            worst = max(v["amount"] for v in vs)
            total = "" if unit == "m" else fmt(sum(v["amount"] for v in vs))
            vt.add_row(tid, vs[0]["node_or_link"], when, fmt(worst), total, unit)
        console.print(vt)
    else:
        console.print("[green]All targets met.[/green]")
    for note in summary.get("notes", []):
        console.print(f"[yellow]note[/yellow]: {note}")
    tm = summary.get("timings", {})
    if tm:
        console.print(
            f"timings: build {tm.get('build', 0):.2f} s, compile+load {tm.get('compile', 0) + tm.get('load', 0):.2f} s,"
            f" HiGHS {tm.get('solve', 0):.2f} s, extract {tm.get('extract', 0):.2f} s"
        )
