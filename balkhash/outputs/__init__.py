"""Views of a solved allocation for people: the seasonal allocation plan, an Excel workbook, PNG
plots and a self-contained HTML report (plus views of a sweep over the transboundary inflow).
They read only a solution's result tables and summary and the Basin (names, targets, reference
levels), never ``balkhash.allocation``; numbers of the summary are rounded where they are shown.

Modules (each imports its heavy library only when used):

* :mod:`.plan`     - the seasonal allocation plan table (pandas only)
* :mod:`.workbook` - ``write_plan_workbook`` (openpyxl)
* :mod:`.plots`    - ``write_plots`` / ``write_sweep_plots`` (matplotlib, Agg backend)
* :mod:`.report`   - ``write_report``: one HTML file with plotly.js embedded (opens offline)
* :mod:`.sweep`    - reading ``sweep.csv`` / ``sweep_levels.csv``
"""
