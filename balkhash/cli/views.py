"""The optional views of a solution: the plan workbook and the PNG plots (heavy imports only here)."""

from __future__ import annotations

from pathlib import Path

from .console import console, err_console, print_text, progress_bar
from .errors import writing


def write_views(sol, basin, info: dict, plan_out: Path | None = None, plots: Path | None = None,
                sweep=None) -> None:
    """Write the plan workbook and/or the PNG plots (with ``sweep``, the sweep curves too)."""
    if plan_out is not None:
        from ..outputs.workbook import write_plan_workbook

        with writing(str(plan_out)), err_console.status(f"writing {plan_out}"):
            write_plan_workbook(sol, basin, plan_out, info)
        print_text(f"allocation plan: {plan_out}")
    if plots is not None:
        from ..outputs.plots import plot_jobs
        from ..outputs.sweep_plots import sweep_plot_jobs

        with writing(f"the plots into {plots}"):
            jobs = plot_jobs(sol, basin, plots)
            if sweep is not None:
                jobs += sweep_plot_jobs(sweep, basin, plots)
            written = []
            with progress_bar(len(jobs), "plots", transient=True) as prog:
                task = prog.add_task("", total=len(jobs))
                for fname, job in jobs:
                    prog.update(task, description=fname)
                    if job() is not None:
                        written.append(fname)
                    prog.update(task, advance=1)
        console.print(f"plots: {plots}  ({', '.join(written)})", soft_wrap=True, markup=False, highlight=False)
