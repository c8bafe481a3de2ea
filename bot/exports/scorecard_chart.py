"""The scorecard chart: one horizontal bar per Resolution 21 figure of a unit, in percent,
with the target marked, readable on a phone.

matplotlib's object API on the Agg canvas (no pyplot: no global state, no display); its
bundled DejaVu Sans has every Vietnamese letter. Texts come translated by the caller.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FONT = "DejaVu Sans"
MET_COLOR = "#2e7d32"
MISSED_COLOR = "#c62828"
PLAIN_COLOR = "#546e7a"  # a figure without a target


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float | None  # None: nothing to count
    target: float | None  # percent, or None


def render_scorecard(
    title: str, bars: Sequence[Bar], no_data: str, legend: tuple[str, str, str] | None = None
) -> bytes:
    """A PNG: the bars top to bottom in the order given; `legend` names the target mark, a
    bar that met it and one that missed it."""
    figure = Figure(figsize=(6.0, 1.2 + 0.6 * len(bars)), dpi=150)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    positions = list(range(len(bars)))[::-1]
    for position, bar in zip(positions, bars, strict=True):
        _draw_bar(ax, position, bar, no_data)
    labels = [textwrap.fill(bar.label, 22) for bar in bars]
    ax.set_yticks(positions, labels, fontsize=9, fontfamily=FONT)
    ax.set_xlim(0, 112)
    ax.set_ylim(-0.7, len(bars) - 0.3)  # room under the last bar for its "no data" text
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"], fontsize=8)
    ax.set_title(textwrap.fill(title, 48), fontsize=11, fontfamily=FONT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend is not None:
        _draw_legend(ax, figure, legend)
    figure.tight_layout(rect=(0, 0.1 if legend else 0, 1, 1))  # room for the legend
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_bar(ax: object, position: int, bar: Bar, no_data: str) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    if bar.percent is None:
        ax.text(2, position, no_data, va="center", fontsize=8, fontfamily=FONT, color="grey")
        return
    if bar.target is None:
        color = PLAIN_COLOR
    else:
        color = MET_COLOR if bar.percent >= bar.target else MISSED_COLOR
    ax.barh([position], [bar.percent], color=color, height=0.55)
    ax.text(bar.percent + 1, position, f"{bar.percent:.0f}%", va="center", fontsize=8)
    if bar.target is not None:
        ax.plot([bar.target, bar.target], [position - 0.35, position + 0.35], color="black")


def _draw_legend(ax: object, figure: Figure, legend: tuple[str, str, str]) -> None:
    """Under the chart: what the black mark and the two colours mean."""
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    assert isinstance(ax, Axes)
    target, met, missed = legend
    handles = [
        Line2D([0], [0], color="black", marker="|", linestyle="None", markersize=12, label=target),
        Patch(color=MET_COLOR, label=met),
        Patch(color=MISSED_COLOR, label=missed),
    ]
    figure.legend(
        handles=handles,
        loc="lower center",
        ncols=3,
        fontsize=8,
        frameon=False,
        prop={"family": FONT, "size": 8},
    )
