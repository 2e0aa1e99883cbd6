"""The fan chart of an ensemble's lake level: the 5-95 % and 25-75 % bands and the median of the
end-of-month level over the members, with the lake's targets and reference levels."""

from __future__ import annotations

from pathlib import Path

from .plot_base import _date_axis, _figure, _level_marks, _month_ends, _save, _ylim_with

FAN_COLOUR = "#1f77b4"


def fan_chart(result, basin, path: Path, lake: int = 0, title: str | None = None) -> Path:
    """Write the PNG fan chart of lake ``lake`` of ``result`` to ``path``."""
    from ..ensemble.summary import level_quantiles

    q = level_quantiles(result, lake)
    x = _month_ends(result.periods)
    fig, axes = _figure(10, 5.0)
    ax = axes[0][0]
    ax.fill_between(x, q["q5"], q["q95"], color=FAN_COLOUR, alpha=0.18, lw=0, label="5-95 % of members")
    ax.fill_between(x, q["q25"], q["q75"], color=FAN_COLOUR, alpha=0.38, lw=0, label="25-75 %")
    ax.plot(x, q["q50"], color=FAN_COLOUR, lw=1.8, label="median")
    _level_marks(ax, basin, result.lakes[lake])
    _ylim_with(ax, [q["q5"].min(), q["q95"].max()])
    ax.set_ylabel("level, m BS (end of month)")
    ax.set_title(title or default_title(result, lake), fontsize=10)
    from .plot_base import _month_starts

    # the first point is the end of the first month: the axis starts with that month
    _date_axis(ax, (_month_starts(result.periods[:1])[0], x[-1]))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=8, ncol=4, frameon=False)
    return _save(fig, path)


def default_title(result, lake: int = 0, scenario: str | None = None, policy: str | None = None) -> str:
    """'Lake X: level over N members' and, below, 'scenario, policy P, China trend ..., mode, seed S'."""
    g = result.generator
    parts = [scenario] if scenario else []
    if policy:
        parts.append(f"policy {policy}")
    if g.china_trend_km3_per_year:
        parts.append(f"China {g.china_trend_km3_per_year:+g} km3/yr each year")
    if g.glacier != 1.0:
        parts.append(f"glacier x {g.glacier}")
    parts += [result.mode, f"seed {result.seed}"]
    return f"Lake {result.lakes[lake]}: level over {result.members} members\n{', '.join(parts)}"
