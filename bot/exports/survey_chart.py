"""The results chart of a survey: one horizontal bar chart per question, stacked in a tall
PNG that reads on a phone held upright.

matplotlib's object API with the Agg canvas (no pyplot: no global state, no display);
its bundled DejaVu Sans has every Vietnamese letter. Texts come translated by the caller.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_INCHES = 6.0
DPI = 150  # 900 pixels wide: sharp on a phone, small to send
BAR_INCHES = 0.42
TITLE_INCHES = 0.9
# Telegram refuses photos whose width + height passes 10000 pixels: keep each image under.
MAX_HEIGHT_INCHES = 55.0
FONT = "DejaVu Sans"
BAR_COLOR = "#c62828"


@dataclass(frozen=True)
class ChartQuestion:
    title: str  # "3. How satisfied are you...?"
    bars: Sequence[tuple[str, int]]  # label, count
    answered: int


def _height(question: ChartQuestion) -> float:
    lines = len(textwrap.wrap(question.title, 44)) or 1
    return TITLE_INCHES + 0.22 * lines + BAR_INCHES * len(question.bars)


def _pages(questions: Sequence[ChartQuestion]) -> list[list[ChartQuestion]]:
    """Questions split so no image is taller than Telegram allows."""
    pages: list[list[ChartQuestion]] = [[]]
    height = 0.0
    for question in questions:
        if pages[-1] and height + _height(question) > MAX_HEIGHT_INCHES:
            pages.append([])
            height = 0.0
        pages[-1].append(question)
        height += _height(question)
    return [page for page in pages if page]


def render_charts(questions: Sequence[ChartQuestion], percent_label: str) -> list[bytes]:
    """PNG images of the questions' bars (usually one); `percent_label` formats a bar's end,
    e.g. "{count} ({percent}%)"."""
    return [_render(page, percent_label) for page in _pages(questions)]


def _render(questions: Sequence[ChartQuestion], percent_label: str) -> bytes:
    heights = [_height(q) for q in questions]
    figure = Figure(figsize=(WIDTH_INCHES, sum(heights)), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(questions), 1, squeeze=False, height_ratios=heights)
    for ax, question in zip(axes[:, 0], questions, strict=True):
        _draw(ax, question, percent_label)
    figure.tight_layout(h_pad=1.2)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw(ax: object, question: ChartQuestion, percent_label: str) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    labels = [textwrap.shorten(label, 24, placeholder="…") for label, _ in question.bars]
    counts = [count for _, count in question.bars]
    positions = list(range(len(counts)))[::-1]  # first option on top
    ax.barh(positions, counts, color=BAR_COLOR, height=0.6)
    ax.set_yticks(positions, labels, fontsize=10, fontfamily=FONT)
    ax.set_title(
        "\n".join(textwrap.wrap(question.title, 44)), fontsize=11, loc="left", fontfamily=FONT
    )
    ax.set_xlim(0, max([*counts, 1]) * 1.35)
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    for y, count in zip(positions, counts, strict=True):
        share = round(100 * count / question.answered) if question.answered else 0
        text = percent_label.format(count=count, percent=share)
        ax.text(count, y, " " + text, va="center", fontsize=10, fontfamily=FONT)
