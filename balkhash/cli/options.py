"""What the commands share: their options, and turning options into a basin and scenarios.

Heavy libraries (pandas, pyomo, highspy) are imported inside the functions that need them, so that
``balkhash --help`` stays fast.
"""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path

import typer

from .errors import CommandError

#: the most points a sweep or a trade-off may have
MAX_POINTS = 10_000


class Format(str, Enum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


BASIN_OPT = typer.Option(None, "--basin", "-b", help="basin dir/file or bundled name [default: ile_balkhash]")
SCENARIO_OPT = typer.Option(None, "--scenario", "-s", help="scenario YAML file (one or several scenarios); "
                            "a file not found as given is looked up in the basin's directory, so "
                            "'scenarios.yaml' names the bundled basin's own")
NAME_OPT = typer.Option(None, "--name", "-n", help="scenario name to run (repeatable) [default: all in the file]")
ONE_NAME_OPT = typer.Option(None, "--name", "-n", metavar="NAME",
                            help="the scenario of the file to run (one; needed when the file holds several)")
YEARS_OPT = typer.Option(None, "--years", min=1, max=100, help="number of water years in the horizon (1..100)")
START_OPT = typer.Option(None, "--start-water-year", min=1000, max=9000,
                         help="first water year, e.g. 2025 for 2025-10..2026-09")
STRICT_OPT = typer.Option(False, "--strict", help="make every target hard (infeasible if not met)")
FAIR_OPT = typer.Option(None, "--fair-sharing/--no-fair-sharing", help="override the basin option")
POLICY_OPT = typer.Option(None, "--policy", help="allocation policy: lake_first | users_first | proportional | "
                          "water_code | none | a policy of the basin's options.policies [default: the basin's, "
                          "then the scenario's]")
TIME_LIMIT_OPT = typer.Option(None, "--time-limit", min=0.001, help="solver time limit, seconds")
HIGHS_OPTION_OPT = typer.Option(None, "--highs-option", help="a HiGHS option NAME=VALUE for every HiGHS solve, "
                                "e.g. simplex_dual_edge_weight_strategy=0, presolve=off, threads=2 "
                                "(repeatable; the HiGHS options list)")
PLAN_OUT_OPT = typer.Option(None, "--plan-out", help="also write the seasonal allocation plan workbook (.xlsx)")
MODE_OPT = typer.Option("optimise", "--mode", help="optimise (the whole horizon at once, perfect foresight) | "
                        "step (one period at a time) | rolling (re-plan every --every periods over --window)")
WINDOW_OPT = typer.Option(None, "--window", help="with --mode rolling only: periods each re-plan sees "
                          "[rolling: 12]")
EVERY_OPT = typer.Option(None, "--every", help="with --mode rolling only: periods applied between re-plans "
                         "[rolling: 1]")
FORECAST_OPT = typer.Option(None, "--forecast", help="with --mode rolling only: inflow forecast, climatology | "
                            "persistence | perfect | a forecast CSV file (docs/simulation.md) "
                            "[rolling: climatology]")
INITIAL_OPT = typer.Option(None, "--initial", help="initial state NODE=VALUE, e.g. 'KAPSHAGAY=16.5 km3' or "
                           "'BALKHASH=342.5 m' (repeatable; after the scenario's)")
INITIAL_FROM_OPT = typer.Option(None, "--initial-from", help="start from the storage at the end of the run in "
                                "this result directory (written by balkhash plan)")

PROBABILITY_OPT = typer.Option(None, "--probability", help="plan the water year whose annual inflow (China + Kazakh "
                               "part) has this exceedance probability, % (repeatable: 50, 75, 95 side by side)")
PROBABILITY_METHOD_OPT = typer.Option(None, "--probability-method", help="with --probability only: generator "
                                      "(the fitted log-normal model, any probability) | record (the 2010-2020 "
                                      "years, Weibull positions: 8.33..91.67 %) [with --probability: generator]")


class Simulation:
    """The simulation options of a command: mode, window, re-plan interval, forecast, checked once."""

    def __init__(self, mode: str, window: int | None, every: int | None, forecast: str | None) -> None:
        from ..simulation.simulator import check_options

        self.window, self.every = check_options(mode, window, every)
        if forecast is not None and mode == "optimise":
            raise CommandError("--forecast needs --mode rolling (optimise plans the whole horizon at once, with "
                               "the actual inflows)")
        if forecast is not None and mode == "step":
            raise CommandError("--forecast needs --mode rolling (--mode step solves one period at a time, with "
                               "its own actual inflows)")
        self.mode, self.forecast = mode, "climatology" if forecast is None else forecast
        if mode == "rolling" and self.forecast not in ("climatology", "persistence", "perfect") \
                and not Path(self.forecast).is_file():
            raise CommandError(f"--forecast '{forecast}': neither climatology, persistence, perfect nor a file")

    @property
    def optimise(self) -> bool:
        return self.mode == "optimise"

    def options(self, reference=None) -> dict:
        """Keyword arguments of balkhash.simulation.simulate / Simulator (``reference``: the basin
        whose calendar-month means are the climatology)."""
        return {"mode": self.mode, "window": self.window, "every": self.every, "forecast": self.forecast,
                "climatology": reference}

    def describe(self) -> str:
        if self.mode == "rolling":
            return f"rolling, window {self.window}, every {self.every}, forecast {self.forecast}"
        return self.mode


def initial_states(basin, initial: list[str] | None, initial_from: Path | None):
    """``basin`` with the command line's initial states (--initial-from first, then --initial)."""
    from ..scenarios.initial import initial_from_results, with_initial

    states: dict[str, str] = {}
    if initial_from is not None:
        found, _last = initial_from_results(initial_from)
        nodes = {n.id for n in basin.nodes if n.type in ("reservoir", "lake")}
        states.update({k: v for k, v in found.items() if k in nodes})
    for item in initial or []:
        node, sep, value = item.partition("=")
        if not sep or not node.strip():
            raise CommandError(f"--initial '{item}': write NODE=VALUE, e.g. 'KAPSHAGAY=16.5 km3'")
        states[node.strip()] = value.strip()
    if not states:
        return basin
    return with_initial(basin, states, "command line", "--initial" if initial else "--initial-from")


def resolve_basin_path(basin: str | None) -> Path:
    """A basin argument: a directory, a basin.yaml, or the name of a bundled dataset/example."""
    from ..data import data_dir, default_basin_path, example_names, example_path

    if basin is None:
        return default_basin_path()
    p = Path(basin)
    if p.exists():
        return p
    if basin in example_names():
        return example_path(basin)
    if (data_dir() / basin / "basin.yaml").exists():
        return data_dir() / basin
    names = ", ".join(["ile_balkhash", *example_names()])
    raise CommandError(f"'{basin}' is neither a basin directory, a basin.yaml, nor a bundled basin ({names})")


def load(path: Path):
    """The validated basin at ``path`` (BasinError lists every problem)."""
    from ..network.io import load_basin

    return load_basin(path)


def scenarios(file: Path | None, names: list[str] | None, years: int | None, start: int | None,
              basin_path: Path | None = None, basin=None) -> list:
    """The scenarios to run: from a file (all, or those named), else one base scenario; the
    command-line --years / --start-water-year override each scenario's horizon.  A scenario file
    that is not found as given is looked up in the basin's directory (the bundled basins ship
    their scenarios: ``--scenario scenarios.yaml``).  With ``basin``, a file with schema problems
    also lists its other scenarios' references the basin cannot resolve."""
    if file is not None and not Path(file).exists() and basin_path is not None:
        base = basin_path if basin_path.is_dir() else basin_path.parent
        if (base / Path(file).name).is_file():
            file = base / Path(file).name
    from ..scenarios.io import load_scenarios, select
    from ..scenarios.schema import Scenario

    if file is None:
        if names:
            raise CommandError("--name needs --scenario FILE")
        scs = [Scenario(name="base")]
    else:
        scs = select(load_scenarios(file, basin), names, str(file))
    for sc in scs:
        if years is not None:
            sc.years = years
        if start is not None:
            sc.start_water_year = start
    return scs


def one_scenario(file: Path | None, names: list[str] | None, years: int | None, start: int | None,
                 basin_path: Path | None = None, basin=None):
    """The single scenario a command runs (CommandError when the file holds several and none is named,
    or when several are named)."""
    if names and len(names) > 1:
        raise CommandError(f"this command runs one scenario: give a single --name (got {len(names)}: "
                           f"{', '.join(names)})")
    scs = scenarios(file, names, years, start, basin_path, basin)
    if len(scs) > 1:
        raise CommandError(f"{file} holds {len(scs)} scenarios; choose one with --name")
    return scs[0]


def applied(basin, scs: list) -> list:
    """[(scenario, basin under it)] for every scenario, each checked like a basin before any is
    solved; one BasinError lists the problems of all of them."""
    from ..network.errors import BasinError
    from ..scenarios.apply import apply_scenario

    out, problems = [], []
    for sc in scs:
        try:
            out.append((sc, basin if sc.is_plain() else apply_scenario(basin, sc)))
        except BasinError as exc:
            problems += exc.problems
    if problems:
        raise BasinError(problems)
    return out


def with_policy(runs: list, policy: str | None) -> list:
    """[(scenario, basin)] with the command line's ``--policy`` (after the basin's and the
    scenario's); CommandError for a name that is neither a preset nor a policy of the basin."""
    if policy is None:
        return runs
    from ..network.errors import BasinError
    from ..network.policy import PolicyError, check_policy_name
    from ..scenarios.apply import copy_basin

    out = []
    for sc, sb in runs:
        try:
            check_policy_name(sb, policy, "--policy")
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        b = copy_basin(sb)
        b.options.policy = policy
        from ..network.policy import check_policy

        problems = check_policy(b, "--policy")
        if problems:
            raise BasinError(problems)
        out.append((sc, b))
    return out


def values(start: float, stop: float, step: float) -> list[float]:
    """start, start + step, ... up to stop (inclusive, within rounding)."""
    if not all(math.isfinite(x) for x in (start, stop, step)):
        raise CommandError(f"--from, --to and --step must be finite numbers (got {start:g}, {stop:g}, {step:g})")
    if start < 0:
        raise CommandError(f"--from must be >= 0: inflows, factors and targets are not negative (got {start:g})")
    if step <= 0 or stop < start:
        raise CommandError("need --from <= --to and --step > 0")
    if (stop - start) / step >= MAX_POINTS:
        raise CommandError(f"--from {start:g} --to {stop:g} --step {step:g} gives more than {MAX_POINTS} points: "
                           "use a larger --step")
    n = math.floor((stop - start) / step + 1e-9) + 1
    return [round(start + i * step, 10) for i in range(n)]


def out_file(out: Path, name: str) -> Path:
    """``--out`` of a command writing one file: a directory (existing, or a path without a suffix,
    like ``--out out`` of ``plan`` and ``sweep``) gets the file ``name`` in it; a path with a suffix
    is the file itself."""
    return out / name if out.is_dir() or not out.suffix else out


def plan_workbook(path: Path) -> Path:
    """``--plan-out``: a workbook file, not a directory (CommandError before anything is solved);
    None (not given) stays None."""
    if path is None:
        return path
    if path.is_dir() or str(path).endswith(("/", "\\")):
        raise CommandError(f"--plan-out {path} is a directory: give the workbook file, e.g. {path / 'plan.xlsx'}")
    if path.suffix not in ("", ".xlsx"):
        raise CommandError(f"--plan-out {path}: the allocation plan is an .xlsx workbook")
    return path


def check_writable(path: Path | None, what: str, directory: bool = False) -> None:
    """CommandError, before anything is solved or written, when ``path`` (a file, or with
    ``directory`` a directory) cannot be created: a file where a directory must be, a directory
    where the file must be, a place that is not writable.  None (not given) passes."""
    import os

    if path is None:
        return
    path = Path(path)
    if path.exists() and path.is_dir() != directory:
        kind = "not a directory" if directory else "a directory"
        raise CommandError(f"cannot write {what} {path}: it exists and is {kind}")
    if path.exists() and not os.access(path, os.W_OK):
        raise CommandError(f"cannot write {what} {path}: it is not writable")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CommandError(f"cannot write {what} {path}: {parent} is a file, not a directory")
    if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write {what} {path}: the directory {parent} is not writable")


def probability_runs(basin, runs: list, probabilities: list[float] | None, method: str | None) -> list:
    """[(scenario, basin, design year or None)]: every run once per exceedance probability (the
    design year's inflows applied after the run's scenario), or each run as it is.  ``method``
    (None: generator) needs ``probabilities``."""
    if not probabilities:
        if method is not None:
            raise CommandError("--probability-method needs --probability (it says how the design year of an "
                               "exceedance probability is found)")
        return [(sc, sb, None) for sc, sb in runs]
    method = method or "generator"
    from ..ensemble.generator import fit_record
    from ..ensemble.probability import check_probability, design_scenario, design_year

    out = []
    for p in probabilities:
        check_probability(p)
    twice = sorted({p for p in probabilities if probabilities.count(p) > 1})
    if twice:
        raise CommandError(f"--probability {', '.join(f'{p:g}' for p in twice)} given more than once: each "
                           "probability is planned once, into its own DIR/pP/")
    model = fit_record(basin)
    for sc, sb in runs:
        if sc.transboundary is not None:
            raise CommandError(f"scenario '{sc.name}' sets the inflow from China (transboundary): --probability "
                               "sets the inflows itself, so use a scenario without it")
        for p in probabilities:
            year = design_year(basin, p, method, model)
            name = year.name if len(runs) == 1 else f"{sc.name}_{year.name}"
            design = design_scenario(sb, year, name, kazakh_mean_km3=model.record_mean_km3[1])
            (_, pb), = applied(sb, [design])
            out.append((design, pb, year))
    return out


def run_date() -> str:
    from datetime import datetime

    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _option_value(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def highs_options(given: list[str] | None) -> dict | None:
    """``--highs-option NAME=VALUE`` as a dict (an integer, a number or a string such as 'off' or
    'true'), checked by HiGHS first: an unknown name or a refused value is an error before anything
    is solved."""
    if not given:
        return None
    from ..allocation.backend import refused_options

    out: dict = {}
    for item in given:
        name, eq, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not eq or not name or not text:
            raise CommandError(f"--highs-option {item!r}: expected NAME=VALUE, e.g. presolve=off")
        value = _option_value(text)
        if refused_options({name: value}):
            if isinstance(value, str) or refused_options({name: text}):  # a string option given '1'
                raise CommandError(f"--highs-option {item!r}: HiGHS refused it (an unknown option, or a value of "
                                   "the wrong type or out of range; see the HiGHS options list)")
            value = text
        out[name] = value
    return out
