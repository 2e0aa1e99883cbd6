"""PNG plots: each one written, a real image with content; the network layout; the sweep curves;
`balkhash plan --plots`; and `balkhash plan` without these options importing no plotting library."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib import image as mpimg
from outputs_support import make_sweep, small_basin
from typer.testing import CliRunner

from balkhash.allocation.solve import solve
from balkhash.cli import app
from balkhash.data import default_basin_path, example_path
from balkhash.network.io import load_basin
from balkhash.outputs.network_plot import crowded_area, network_positions, plot_network
from balkhash.outputs.plot_base import _level_marks
from balkhash.outputs.plots import write_plots
from balkhash.outputs.sweep import SweepError, load_sweep
from balkhash.outputs.sweep_plots import write_sweep_plots

runner = CliRunner()
SOLUTION_PNGS = ["lake_level.png", "reservoir_storage.png", "deliveries_by_sector.png", "shortfall_heatmap.png",
                 "network.png", "targets.png"]
SWEEP_PNGS = ["sweep_shortfall.png", "sweep_lake.png", "sweep_levels.png"]


def assert_real_image(path, min_w=400, min_h=200):
    assert path.exists(), path
    assert path.stat().st_size > 5000, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert w >= min_w, (path.name, w, h)
    assert h >= min_h, (path.name, w, h)
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, f"{path.name} looks blank"
    # more than a few colours: lines, text, fills
    colours = np.unique((rgb[:: max(1, len(rgb) // 50000)] * 255).astype(np.uint8), axis=0)
    assert len(colours) > 20, (path.name, len(colours))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_every_solution_plot_and_sweep_curve(tmp_path, sweep_dir):
    b = small_basin()
    sol = solve(b)
    seen = []
    written = write_plots(sol, b, tmp_path, sweep=load_sweep(sweep_dir), progress=seen.append)
    assert [p.name for p in written] == SOLUTION_PNGS + SWEEP_PNGS
    assert seen == SOLUTION_PNGS + SWEEP_PNGS
    for p in written:
        assert_real_image(p)


def test_basin_without_reservoir_or_band(tmp_path):
    b = load_basin(example_path("tiny_river"))
    written = {p.name for p in write_plots(solve(b), b, tmp_path)}
    assert "reservoir_storage.png" not in written  # no reservoir
    assert "targets.png" not in written  # only a level target: drawn on the lake plot
    assert {"lake_level.png", "network.png", "shortfall_heatmap.png"} <= written
    for name in written:
        assert_real_image(tmp_path / name)


def test_level_lines_and_band_only_where_defined():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    _level_marks(ax, small_basin(), "LAKE")
    assert len(ax.patches) == 1  # the 301-302 m band
    assert sorted(line.get_ydata()[0] for line in ax.lines) == [301.0, 301.5]
    ax = Figure().subplots()
    _level_marks(ax, load_basin(example_path("tiny_river")), "LAKE")
    assert len(ax.patches) == 0
    assert [line.get_ydata()[0] for line in ax.lines] == [103.0]


def test_network_positions():
    b = small_basin()
    pos, geo = network_positions(b)  # no coordinates: layered left to right
    assert not geo
    assert pos["RIVER"][0] < pos["RES"][0] < pos["J1"][0] < pos["LAKE"][0]
    assert pos["TRIB"][0] == pos["J2"][0] - 1  # a tributary enters next to its confluence
    for i, n in enumerate(b.nodes):
        n.x, n.y = 70.0 + i, 40.0 + (i % 3)
    pos, geo = network_positions(b)
    assert geo
    assert pos["RES"] == (b.node("RES").x, b.node("RES").y)
    b.node("J2").x = b.node("J2").y = None  # a node without coordinates sits among its neighbours
    pos, geo = network_positions(b)
    xs = [b.node(n).x for n in ("J1", "TRIB", "LAKE", "CITY", "IRR")]
    assert geo
    assert min(xs) <= pos["J2"][0] <= max(xs) + 0.1


def test_network_plot_with_map_coordinates(tmp_path):
    b = small_basin()
    for i, n in enumerate(b.nodes):
        n.x, n.y = 76.0 + 0.5 * i, 44.0 + 0.3 * (i % 3)
    written = write_plots(solve(b), b, tmp_path)
    assert_real_image(next(p for p in written if p.name == "network.png"))
    assert crowded_area(network_positions(b)[0]) is None  # spread out: nothing to enlarge


def test_network_of_the_default_basin_enlarges_its_crowded_area(tmp_path):
    b = load_basin(default_basin_path())
    pos, geo = network_positions(b)
    assert geo
    x0, x1, y0, y1 = crowded_area(pos, 1.0 / np.cos(np.radians(np.mean([p[1] for p in pos.values()]))))
    inside = {n for n, (x, y) in pos.items() if x0 <= x <= x1 and y0 <= y <= y1}
    assert {"KAPSHAGAY", "UTIL_KAPSHAGAY", "J_ZAILIY", "BAK_IRR", "IRR_ZAILIY", "UTIL_ALMATY"} <= inside
    assert not inside & {"BALKHASH", "ILE_CN", "ILE_MOUTH", "AYAGOZ", "CHARYN"}
    out = plot_network(solve(b), b, tmp_path / "network.png")
    assert_real_image(out, min_w=1200)


def test_sweep_table_reading(sweep_dir, tmp_path):
    sw = load_sweep(sweep_dir)
    assert sw.parameter == "transboundary"
    assert sw.label == "Transboundary inflow (km3/yr)"
    assert sw.sectors == ["agriculture", "utilities"]
    assert list(sw.table["value"]) == sorted(sw.table["value"])
    assert sw.levels is not None
    assert set(sw.levels.columns) >= {"value", "period", "level_m"}
    # levels without a node column; no levels file at all: the curves still draw
    (tmp_path / "a").mkdir()
    sw.table.to_csv(tmp_path / "a" / "sweep.csv", index=False)
    sw.levels.drop(columns="node").to_csv(tmp_path / "a" / "sweep_levels.csv", index=False)
    assert load_sweep(tmp_path / "a" / "sweep.csv").levels is not None
    (tmp_path / "a" / "sweep_levels.csv").unlink()
    only = load_sweep(tmp_path / "a")
    assert only.levels is None
    names = [p.name for p in write_sweep_plots(only, small_basin(), tmp_path / "png")]
    assert names == ["sweep_shortfall.png", "sweep_lake.png"]
    with pytest.raises(SweepError, match="no sweep table"):
        load_sweep(tmp_path / "nowhere")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(SweepError, match="missing column"):
        load_sweep(tmp_path / "bad.csv")


def test_plots_option(tmp_path):
    r = runner.invoke(app, ["plan", "-b", "small_basin", "-o", str(tmp_path / "res"), "-q",
                            "--plots", str(tmp_path / "png")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(SOLUTION_PNGS)


def test_plain_plan_imports_no_plotting_or_excel_library(tmp_path):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from balkhash.cli import app\n"
        f"r = CliRunner().invoke(app, ['plan', '-b', 'tiny_river', '-o', {str(tmp_path / 'o')!r}, '-q'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in ('matplotlib', 'plotly', 'openpyxl', 'balkhash.outputs') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_heatmap_png_grey_is_nothing_requested(tmp_path):
    """The PNG heatmap draws the months a user requests nothing in the report's grey
    (NOT_REQUESTED_COLOUR) and the months nothing is short in the near-white of the scale."""
    from balkhash.outputs.plots import NOT_REQUESTED_COLOUR, SHORTFALL_REDS, plot_shortfall_heatmap

    b = small_basin()
    sol = solve(b)
    pct = sol.deliveries.assign(p=sol.deliveries.shortfall_mm3 / sol.deliveries.target_mm3.where(
        sol.deliveries.target_mm3 > 0))
    assert pct.p.isna().any()  # months requesting nothing
    assert (pct.p == 0).any()  # months met in full
    img = mpimg.imread(plot_shortfall_heatmap(sol, b, tmp_path / "heat.png"))[..., :3]

    def share(colour: str) -> float:
        rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        return float((np.abs(img - rgb).max(axis=2) < 0.01).mean())

    assert share(NOT_REQUESTED_COLOUR) > 0.02
    assert share(SHORTFALL_REDS[0]) > 0.02
