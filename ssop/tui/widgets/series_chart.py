"""A line chart of one time series (bucket labels, then one column per line)."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

# each line its own marker: the chart reads without colour (NO_COLOR) too
MARKERS = ("*", "x", "o", "+", "#")
MAX_TICKS = 4


class SeriesChart(PlotextPlot):
    DEFAULT_CSS = "SeriesChart { height: 12; }"

    def __init__(
        self,
        title: str,
        labels: Sequence[str],
        lines: dict[str, list[float]],
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chart_title = title
        self.labels = list(labels)
        self.lines = lines

    def on_mount(self) -> None:
        plt = self.plt
        xs = list(range(len(self.labels)))
        if not xs:
            # plotext fails on a legend over no points; an empty frame says enough
            plt.title(f"{self.chart_title} (no readings)")
            return
        for i, (name, ys) in enumerate(self.lines.items()):
            plt.plot(xs, ys, label=name, marker=MARKERS[i % len(MARKERS)])
        ticks = _ticks(len(self.labels))
        plt.xticks([float(t) for t in ticks], [self.labels[i] for i in ticks])
        plt.title(self.chart_title)


def _ticks(count: int) -> list[int]:
    if count <= 1:
        return list(range(count))
    step = max(1, -(-(count - 1) // (MAX_TICKS - 1)))
    # none on the last point: plotext draws a label centred on the right edge
    # only some of the time, which made the server screen's snapshot flaky
    return list(range(0, count - 1, step))
