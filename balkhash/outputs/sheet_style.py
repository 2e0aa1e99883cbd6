"""Number formats and cell styles shared by the workbook's sheets (openpyxl)."""

from __future__ import annotations

import math

MM3 = "#,##0.00"
M3S = "#,##0.00"
LEVEL = "0.000"
PCT = "0.0"
#: marginal values span tie-breakers (0.001) to penalties (10 000): shown with their significant digits
DUAL = "General"
INT = "0"


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    return {
        "head_font": Font(bold=True, color="FFFFFF"),
        "head_fill": PatternFill("solid", fgColor="1F4E79"),
        "head_align": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "bold": Font(bold=True),
        "sub_fill": PatternFill("solid", fgColor="DDEBF7"),
        "total_fill": PatternFill("solid", fgColor="BDD7EE"),
        "thin": Border(bottom=Side(style="thin", color="BFBFBF")),
    }


def _cell_value(v):
    if v is None:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
    return v
