"""Regenerate the pictures of docs/outputs.md (docs/img/*.png) from the embedded Ile-Balkhash basin.

    .venv/bin/python tools/doc_images.py

Solves the default basin (base scenario, as `balkhash plan` does), sweeps the transboundary
inflow from China over 6..16 km3/yr with the code of `balkhash sweep` and writes its sweep.csv
and sweep_levels.csv, writes the PNG plots, builds the HTML report and photographs parts of it in
headless Chromium, and renders the workbook's Plan sheet as a picture.  PNGs are
palette-quantised to stay small.  ``--issued`` renders only the issued plan
(docs/img/workbook_issued.png, :func:`issued_picture`: LibreOffice and pdftoppm).
"""

from __future__ import annotations

import html
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from chromium import Chromium  # noqa: E402
from PIL import Image  # noqa: E402

from balkhash.allocation.solve import Allocation  # noqa: E402
from balkhash.data import default_basin_path  # noqa: E402
from balkhash.network.io import load_basin  # noqa: E402
from balkhash.outputs.plots import write_plots  # noqa: E402
from balkhash.outputs.report import write_report  # noqa: E402
from balkhash.outputs.sweep import load_sweep  # noqa: E402
from balkhash.outputs.workbook import write_plan_workbook  # noqa: E402
from balkhash.studies import Study, sweep  # noqa: E402

IMG = ROOT / "docs" / "img"
PLOTS = ["network.png", "lake_level.png", "shortfall_heatmap.png", "deliveries_by_sector.png",
         "reservoir_storage.png", "targets.png", "sweep_shortfall.png", "sweep_lake.png"]
RUN_INFO = {"basin_path": "ile_balkhash", "scenario": "base", "run_date": "2026-01-15 10:00 UTC"}
SWEEP_KM3 = [float(v) for v in range(6, 17)]  # `balkhash sweep --from 6 --to 16 --step 1`


def write_sweep(basin, out_dir: Path) -> Path:
    """What `balkhash sweep --out out_dir` writes: sweep.csv and sweep_levels.csv."""
    res = sweep(Study(basin), "transboundary", SWEEP_KM3)
    out_dir.mkdir(parents=True, exist_ok=True)
    res.table.to_csv(out_dir / "sweep.csv", index=False)
    res.levels.to_csv(out_dir / "sweep_levels.csv", index=False)
    return out_dir


def save_small(img: Image.Image, path: Path, max_width: int = 1100) -> None:
    img = img.convert("RGB")
    if img.width > max_width:
        img = img.resize((max_width, round(img.height * max_width / img.width)), Image.LANCZOS)
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")


def element_shot(page, element: str, path: Path, height: int | None = None) -> None:
    rect = page.evaluate(
        f"(function(){{var e=document.querySelector('{element}'); e.scrollIntoView(); window.scrollBy(0,-44);"
        " var r=e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height];})()")
    page.browser.pump(0.4)
    img = Image.open(io.BytesIO(page.screenshot()))
    x, y, w, h = (round(v) for v in rect)
    h = min(h, height or h, img.height - y)
    save_small(img.crop((max(0, x - 8), max(0, y - 8), x + w + 8, y + h)), path)  # not into the next element


def sheet_html(xlsx: Path, sheet: str, max_rows: int = 24) -> str:
    """A picture-like HTML rendering of a sheet: fills, bold, number formats, frozen header."""
    import openpyxl

    ws = openpyxl.load_workbook(xlsx)[sheet]
    rows = []
    for r, row in enumerate(ws.iter_rows(max_row=max_rows), start=1):
        cells = []
        for c in row:
            v = c.value
            if isinstance(v, (int, float)) and not isinstance(v, bool) and c.number_format != "General":
                nd = len(c.number_format.split(".")[1]) if "." in c.number_format else 0
                v = f"{v:,.{nd}f}"
            style = []
            if c.font and c.font.bold:
                style.append("font-weight:bold")
            if c.font and c.font.color is not None and c.font.color.rgb not in (None, "FF000000") \
                    and isinstance(c.font.color.rgb, str):
                style.append(f"color:#{c.font.color.rgb[-6:]}")
            if c.fill and c.fill.fill_type == "solid" and isinstance(c.fill.fgColor.rgb, str):
                style.append(f"background:#{c.fill.fgColor.rgb[-6:]}")
            align = "right" if isinstance(c.value, (int, float)) else "left"
            style.append(f"text-align:{align}")
            tag = "th" if r == 1 else "td"
            if r == 1:
                width = ws.column_dimensions[c.column_letter].width or 8
                style.append(f"width:{width * 6.5:.0f}px;white-space:normal")
            cells.append(f"<{tag} style='{';'.join(style)}'>{html.escape('' if v is None else str(v))}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    letters = "".join(f"<th class='col'>{chr(65 + i)}</th>" for i in range(ws.max_column))
    return ("<html><head><style>body{margin:0;font-family:Calibri,Carlito,Arial,sans-serif;font-size:12px}"
            "table{border-collapse:collapse}td,th{border:1px solid #d4d4d4;padding:2px 6px;white-space:nowrap}"
            "th.col{background:#efefef;color:#555;font-weight:normal}"
            f"</style></head><body><table id='sheet'><tr>{letters}</tr>{''.join(rows)}</table></body></html>")


#: the Ile-Balkhash water users grouped by the river, canal or reservoir they take from, for the
#: picture of the issued plan (the shipped basin names no groups)
ISSUED_GROUPS = {"BAK_IRR": "Big Almaty Canal", "UTIL_ALMATY": "Big Almaty Canal", "IND_ALMATY": "Big Almaty Canal",
                 "IRR_ZAILIY": "Zailiysky rivers", "UTIL_KAPSHAGAY": "Kapshagay reservoir",
                 "SHENGELDY": "Kapshagay reservoir", "FISHERIES": "Ile delta", "AKDALA": "Ile delta",
                 "IRR_KURTY": "Kurty reservoir", "BALKHASH_INTAKE": "Lake Balkhash",
                 "IRR_KARATAL": "Eastern rivers", "IRR_AKSU_LEPSY": "Eastern rivers"}


def issued_picture(path: Path = IMG / "workbook_issued.png") -> None:
    """The issued plan of the dry_2014 scenario with the default basin at dekad step (its users in
    :data:`ISSUED_GROUPS`), rendered by LibreOffice to PDF (A3 landscape) and by pdftoppm to PNG:
    the printed part of the page."""
    import shutil
    import subprocess

    import openpyxl
    import yaml

    from balkhash.scenarios.apply import apply_scenario
    from balkhash.scenarios.io import load_scenarios

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(default_basin_path(), tmp / "basin")
        raw = yaml.safe_load((tmp / "basin" / "basin.yaml").read_text(encoding="utf-8"))
        raw["calendar"].update(step="dekad", periods=36)
        for n in raw["nodes"]:
            if n["id"] in ISSUED_GROUPS:
                n["group"] = ISSUED_GROUPS[n["id"]]
        (tmp / "basin" / "basin.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False),
                                                  encoding="utf-8")
        basin = load_basin(tmp / "basin")
        sc = next(s for s in load_scenarios(tmp / "basin" / "scenarios.yaml") if s.name == "dry_2014")
        b = apply_scenario(basin, sc)
        sol = Allocation(b).solve()
        xlsx = write_plan_workbook(sol, b, tmp / "plan.xlsx", {**RUN_INFO, "scenario": "dry_2014"})
        wb = openpyxl.load_workbook(xlsx)
        for name in wb.sheetnames[1:]:
            del wb[name]
        wb.save(tmp / "issued.xlsx")
        subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp),
                        str(tmp / "issued.xlsx")], check=True, capture_output=True)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp / "issued.pdf"), str(tmp / "page")],
                       check=True)
        img = Image.open(tmp / "page.png").convert("RGB")
        px = img.load()
        xs = [x for x in range(img.width) if any(px[x, y] != (255, 255, 255) for y in range(0, img.height, 7))]
        ys = [y for y in range(img.height) if any(px[x, y] != (255, 255, 255) for x in range(0, img.width, 7))]
        box = (max(0, xs[0] - 10), max(0, ys[0] - 10), min(img.width, xs[-1] + 10), min(img.height, ys[-1] + 10))
        save_small(img.crop(box), path, max_width=1600)


def main() -> None:
    if "--issued" in sys.argv[1:]:
        issued_picture()
        return
    IMG.mkdir(parents=True, exist_ok=True)
    b = load_basin(default_basin_path())
    alloc = Allocation(b)
    sol = alloc.solve()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sw = load_sweep(write_sweep(b, tmp / "sweep"))
        write_plots(sol, b, tmp / "png", sweep=sw)
        for name in PLOTS:
            save_small(Image.open(tmp / "png" / name), IMG / name)
        report = write_report(sol, b, tmp / "report.html", RUN_INFO, sweep=sw)
        xlsx = write_plan_workbook(sol, b, tmp / "plan.xlsx", RUN_INFO)
        (tmp / "sheet.html").write_text(sheet_html(xlsx, "Plan"), encoding="utf-8")
        with Chromium(width=1280, height=900) as browser:
            page = browser.open(report)
            page.wait_for("document.body.getAttribute('data-charts-ready') === 'true'")
            page.evaluate("window.scrollTo(0, 0)")
            browser.pump(0.5)
            save_small(Image.open(io.BytesIO(page.screenshot())), IMG / "report_summary.png")
            element_shot(page, "#plan", IMG / "report_plan.png", height=560)
            element_shot(page, "#chart-sweep-slider", IMG / "report_sweep_slider.png")
            sheet = browser.open(tmp / "sheet.html", width=1900, height=700)
            w, h = sheet.evaluate("(function(){var r=document.getElementById('sheet').getBoundingClientRect();"
                                  " return [r.width, r.height];})()")
            img = Image.open(io.BytesIO(sheet.screenshot()))
            save_small(img.crop((0, 0, min(img.width, round(w) + 2), min(img.height, round(h) + 2))),
                       IMG / "workbook_plan.png")
    issued_picture()


if __name__ == "__main__":
    main()
