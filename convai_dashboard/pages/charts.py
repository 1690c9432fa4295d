"""The geometry of the overview's charts, drawn as SVG by pages/templatetags/chart_tags.py:
the columns of a column chart with its axis, and the rows of a share chart. Coordinates are in
the units of the chart's viewBox. A chart scales to the width of its card, and its text with
it, so each is drawn about as wide as its card is on a wide screen: WIDE for one across the
page, NARROW for one of two side by side."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

WIDE, NARROW = 760, 440
# Room for the y axis's numbers on the left, and for half an x label on the right.
LEFT, RIGHT, TOP, BOTTOM = 44, 32, 10, 24
COLUMN_HEIGHT = 160
# A column chart labels at most this many of its columns, so labels never overlap, and
# marks at most this many steps up its y axis.
MAX_LABELS = 7
MAX_TICKS = 5


def percent(part: int, whole: int) -> str:
    """A share for reading: never "0%" for some, nor "100%" for not quite all."""
    if not whole:
        return "n/a"
    share = part / whole
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def axis_step(value: int) -> int:
    """The step between the y axis's ticks: 1, 2 or 5 times a power of ten, the smallest that
    reaches `value` in at most MAX_TICKS steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * step * MAX_TICKS:
                return factor * step
        step *= 10


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool  # whether the x axis names this column
    href: str = ""  # the list of the sessions counted, when the list can show them

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    ticks: list[Tick]
    width: int
    height: int = TOP + COLUMN_HEIGHT + BOTTOM
    left: int = LEFT
    baseline: int = TOP + COLUMN_HEIGHT
    label_y: int = TOP + COLUMN_HEIGHT + 16

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def busiest(self) -> Column | None:
        """The first of the highest columns, if any column has a value."""
        best = max(self.columns, key=lambda column: column.value, default=None)
        return best if best is not None and best.value else None


def column_chart(
    points: Sequence[tuple[str, int]],
    *,
    width: int = NARROW,
    hrefs: Sequence[str] | None = None,
    labelled: Collection[int] | None = None,
) -> ColumnChart:
    """Columns for `points` (label, value), in order, on an axis from 0 to a round number. The
    x axis names the columns whose indexes are `labelled`; by default the last one and every
    few before it, at most MAX_LABELS of them."""
    highest = max((value for _, value in points), default=0)
    step = axis_step(highest)
    top = max(-(-highest // step), 1) * step
    slot = (width - LEFT - RIGHT) / max(len(points), 1)
    # Thin columns are drawn without gaps: a gap narrower than a pixel only blurs them.
    gap = slot * 0.2 if slot >= 4 else 0
    if labelled is None:
        every = -(-len(points) // MAX_LABELS) or 1
        labelled = range(len(points) - 1, -1, -every)
    named = set(labelled)
    columns = []
    for i, (label, value) in enumerate(points):
        height = COLUMN_HEIGHT * value / top
        columns.append(
            Column(
                label=label,
                value=value,
                x=round(LEFT + i * slot + gap / 2, 2),
                y=round(TOP + COLUMN_HEIGHT - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                show_label=i in named,
                href=hrefs[i] if hrefs else "",
            )
        )
    ticks = [
        Tick(value, round(TOP + COLUMN_HEIGHT * (1 - value / top), 2))
        for value in range(0, top + 1, step)
    ]
    return ColumnChart(columns=columns, ticks=ticks, width=width)


ROW_HEIGHT = 30
# Room for the rows' names on the left, and for their shares on the right.
NAMES, SHARES = 170, 48


@dataclass(frozen=True)
class ShareRow:
    label: str
    value: int
    of: int
    share: str  # as read: "23%"
    y: float  # the top of the row's bar
    width: float  # of the bar; the track behind it stands for the whole
    href: str = ""


@dataclass(frozen=True)
class ShareChart:
    rows: list[ShareRow]
    width: int
    track_left: int = NAMES
    bar_height: int = ROW_HEIGHT - 12
    label_x: int = NAMES - 8  # where the rows' names end

    @property
    def track_width(self) -> int:
        return self.width - NAMES - SHARES

    @property
    def share_x(self) -> int:
        return self.width - SHARES + 8

    @property
    def height(self) -> int:
        return len(self.rows) * ROW_HEIGHT

    @property
    def text_offset(self) -> int:
        """From a bar's top to the baseline of the text beside it."""
        return self.bar_height // 2 + 4


def share_chart(rows: Sequence[tuple[str, int, int, str]], *, width: int = NARROW) -> ShareChart:
    """A bar for each row (label, value, of, href), as long as value is a share of `of`."""
    track = width - NAMES - SHARES
    return ShareChart(
        rows=[
            ShareRow(
                label=label,
                value=value,
                of=of,
                share=percent(value, of),
                y=i * ROW_HEIGHT + 6,
                width=round(track * value / of, 2) if of else 0,
                href=href,
            )
            for i, (label, value, of, href) in enumerate(rows)
        ],
        width=width,
    )
