"""Every figure hvrt draws. Each function takes computed results and returns a Figure.

matplotlib is an optional extra (``pip install "hvrt-partitioner[viz]"``), so it is
imported inside the functions, never at module level. Figures are built with
:class:`matplotlib.figure.Figure` and the Agg canvas directly instead of through
``pyplot``: no global figure registry to leak memory in long runs, no interactive
backend switched on behind the user's back, and never a ``plt.show()``. In Jupyter the
returned figures still display inline.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._compat import import_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._figure_data import BinnedSamples, DistributionComparison, PartitionBoxes

__all__ = [
    "figure_to_png",
    "plot_binned_violin",
    "plot_distribution_comparison",
    "plot_partition_boxes",
    "plot_partition_sizes",
    "require_matplotlib",
    "save_figure",
]

DEFAULT_DPI = 100
ORIGINAL_COLOR = "#1f5fa8"  # blue, solid
RECONSTRUCTION_COLOR = "#d62728"  # red, dashed
FILL_COLOR = "#7fa7d6"


def require_matplotlib() -> None:
    """Raise an ImportError naming the ``viz`` extra if matplotlib is missing.

    Raises
    ------
    ImportError
        If matplotlib cannot be imported.
    """
    import_matplotlib()


def _new_figure(width: float, height: float, bottom: float = 0.6, top: float = 0.45) -> Figure:
    """A Figure on an Agg canvas, outside pyplot's registry.

    Margins are fixed (in inches, converted to fractions) rather than computed by a
    layout engine: every figure here has a known shape, and a layout engine draws each
    figure twice, which was a third of the profiler's plotting time.
    """
    import_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=0.8 / width, right=1 - 0.25 / width, bottom=bottom / height, top=1 - top / height
    )
    return figure


def _literal(text: Any) -> str:
    """``text`` as a figure shows it verbatim: every ``$`` escaped.

    matplotlib reads text between two ``$`` as mathtext, so a column named ``$x$`` would
    show as an italic x (the same as a column ``x``) and one named ``$\\frac$`` would fail
    to draw at all. Escaping (rather than ``parse_math=False``) also holds for tick labels,
    which matplotlib may re-create without that property. A backslash needs no escape:
    outside mathtext only a backslash before ``$`` is read.
    """
    return str(text).replace("$", r"\$")


def _figure_and_axes(ax: Axes | None, width: float, height: float, top: float) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.get_figure(), ax
    figure = _new_figure(width, height, top=top)
    return figure, figure.add_subplot()


def save_figure(figure: Figure, path: str | PathLike[str], dpi: int = DEFAULT_DPI) -> Path:
    """Save ``figure`` with the Agg renderer; the format follows the file suffix.

    Parameters
    ----------
    figure : Figure
    path : str or path-like
        Destination; its parent folder must exist.
    dpi : int, default=100

    Returns
    -------
    Path
        ``path``.
    """
    # Our figures carry an Agg canvas already; a user's pyplot figure (drawn through ``ax``)
    # keeps its own canvas, and savefig still renders PNG with Agg.
    figure.savefig(path, dpi=dpi)
    return Path(path)


def figure_to_png(figure: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """Render ``figure`` to PNG bytes with the Agg renderer.

    Parameters
    ----------
    figure : Figure
    dpi : int, default=100

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# Share of the window's width added on each side of a value axis; outliers are marked there.
EDGE_PAD = 0.05
OUTLIER_COLOR = "#444444"


NS_PER_DAY = 86_400e9
# A duration axis is written in the largest of these units that the visible span covers twice.
_DURATION_UNITS = (("days", NS_PER_DAY), ("hours", 3_600e9), ("minutes", 60e9), ("seconds", 1e9), ("ms", 1e6))
# Room (inches) left of a date y axis's tick labels: the ticks, the pads and the axis label.
_DATE_AXIS_LABEL_ROOM = 0.55


def _duration_unit(span: float) -> tuple[str, float]:
    """The (name, nanoseconds) of the unit a duration axis spanning ``span`` ns is written in."""
    return next((unit for unit in _DURATION_UNITS if span >= 2 * unit[1]), _DURATION_UNITS[-1])


def _density_unit(time_kind: str | None, span: float) -> tuple[str | None, float]:
    """The unit a density over a value axis spanning ``span`` is given per (None for a plain
    number) and its nanoseconds: a day for dates, the duration axis's own unit otherwise."""
    if time_kind is None:
        return None, 1.0
    if time_kind == "dates":
        return "day", NS_PER_DAY
    name, nanoseconds = _duration_unit(span)
    return ("ms" if name == "ms" else name[:-1]), nanoseconds


def format_value(value: float, time_kind: str | None, digits: int = 4, zone: str | None = None) -> str:
    """A value for a figure's text: a date, or a duration in the unit its size calls for
    (``93.77 minutes``, as the duration axes are written, not ``0 days 01:33:46``), for a
    time column (nanoseconds); else a number to ``digits`` significant digits. A date of a
    column with a time ``zone`` is written on that zone's clock, with its UTC offset
    (``2024-03-10 03:00:00+05:30``), as the rules write it; a naive one as it is."""
    if time_kind is None or not np.isfinite(value):
        return f"{value:.{digits}g}"
    if time_kind == "dates":
        import pandas as pd

        stamp = pd.Timestamp(round(value)).floor("s")  # floored in UTC: no DST gap or fold
        zone_info = _zone_info(zone)
        return str(stamp if zone_info is None else stamp.tz_localize("UTC").tz_convert(zone_info))
    name, nanoseconds = _duration_unit(abs(value))
    return f"{value / nanoseconds:.{digits}g} {name}"


def _zone_info(zone: str | None) -> Any:
    """The ``tzinfo`` of a zone name (``_validation.zone_name``'s: ``Asia/Kolkata``,
    ``UTC+05:30``, ``dateutil/Europe/London``) as pandas reads it: matplotlib reads a name
    with ``dateutil.tz.gettz``, which knows no ``dateutil/`` prefix, so it is given the
    zone itself. None (UTC, as a naive column) for a name pandas cannot read."""
    if zone is None:
        return None
    import pandas as pd

    try:
        return pd.Timestamp(0, tz=zone).tz
    except (ValueError, TypeError, LookupError):
        return None


def _zone_label(zone: str) -> str:
    """A zone's name for an axis label: ``Europe/London`` for ``dateutil/Europe/London``."""
    return zone.removeprefix("dateutil/")


def format_share(share: float) -> str:
    """A share as a percentage that never rounds a few to none or nearly all to all
    (``0.04%``, ``85%``, ``99.7%``)."""
    if share == 0 or share == 1:
        return f"{share:.0%}"
    if share < 0.001:
        return "< 0.1%"
    if share > 0.999:
        return "> 99.9%"
    return f"{share:.0%}" if 0.1 <= share <= 0.9 else f"{share:.1%}"


def _some(labels: Sequence[Any], shown: int = 5) -> str:
    """Up to ``shown`` labels, literal, then how many more."""
    text = ", ".join(_literal(label) for label in labels[:shown])
    return text + (f" and {len(labels) - shown:,} more" if len(labels) > shown else "")


def missing_note(feature: Any, n_missing: int, n_rows: int) -> str:
    """``'a' is missing in 850 of 1,000 rows (85%)``, for a figure's title (``$`` escaped)."""
    return f"'{_literal(feature)}' is missing in {n_missing:,} of {n_rows:,} rows ({format_share(n_missing / n_rows)})"


def _time_axis(axis: Any, time_kind: str | None, feature: str, zone: str | None = None) -> None:
    """Write a value axis of nanoseconds as dates or durations, and say so in its label.

    The data stay in nanoseconds (what the partitions saw); only the ticks move to round
    dates (matplotlib's date locator, whose date numbers are days since 1970) or to round
    numbers of the duration unit the span calls for. The dates of a column with a time
    ``zone`` are ticked and written on that zone's clock (midnight there, not in UTC) and the
    label names the zone (``when (date, Asia/Kolkata)``); the nanoseconds are UTC instants.
    """
    if time_kind is None:
        return
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, Locator, MaxNLocator

    label_zone, zone = zone, _zone_info(zone)  # (matplotlib and pandas are given the tzinfo)

    def span() -> float:
        low, high = axis.get_view_interval()
        return abs(high - low)

    class NanosecondTicks(Locator):
        def __call__(self) -> Sequence[float]:
            low, high = sorted(axis.get_view_interval())
            return self.tick_values(low, high)

        last: tuple[tuple, np.ndarray] | None = None

        def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
            if time_kind == "dates":
                # matplotlib asks a dozen times per draw (and once per label, through the
                # formatter); the ticks depend only on the view and the axes' place and size
                figure = axis.get_figure(root=True)
                key = (vmin, vmax, tuple(axis.axes.get_position().bounds), tuple(figure.get_size_inches()))
                if self.last is None or self.last[0] != key:
                    self.last = (key, _date_ticks(axis, vmin, vmax, zone))
                return self.last[1].copy()
            unit = _duration_unit(vmax - vmin)[1]
            return MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin / unit, vmax / unit) * unit

    def label(value: float, _position: int) -> str:
        if time_kind == "dates":
            pattern = _date_pattern(axis.get_majorticklocs(), zone)
            return mdates.num2date(value / NS_PER_DAY, tz=zone).strftime(pattern)
        return f"{value / _duration_unit(span())[1]:g}"

    axis.set_major_locator(NanosecondTicks())
    axis.set_major_formatter(FuncFormatter(label))
    named = "date" if zone is None or label_zone is None else f"date, {_zone_label(label_zone)}"
    unit = named if time_kind == "dates" else _duration_unit(span())[0]
    axis.set_label_text(f"{_literal(feature)} ({unit})")
    if time_kind == "dates" and axis.axis_name == "y":
        # The left margin fits the widest date label and the axis label beside it (a fixed
        # margin pushed "when (date)" off the figure behind "2024-03-01 12:00").
        figure = axis.get_figure(root=True)
        low, high = sorted(axis.get_view_interval())
        width = _date_label_width(axis, _date_ticks(axis, low, high, zone), zone)
        left = max(0.8, width + _DATE_AXIS_LABEL_ROOM) / figure.get_figwidth()
        # in a narrow figure the labels' room would pass the axes' right edge (matplotlib
        # refuses that): the axes keep a tenth of the figure, the labels what is left
        figure.subplots_adjust(left=min(left, figure.subplotpars.right - 0.1))


def _date_ticks(axis: Any, vmin: float, vmax: float, zone: Any = None) -> np.ndarray:
    """Round dates (nanoseconds) between ``vmin`` and ``vmax`` whose labels fit a horizontal axis.

    A date label is long ("2023-01-01 13:00" is some 1.3 inches), so on the x axis the
    ticks are limited to as many labels as the axis holds side by side, and a tick whose
    label would overlap the previous one (the date locator restarts its steps at each
    month) or run past the figure's edge (a tick at the axis end) is left out. With a time
    ``zone`` the ticks are round on that zone's clock.
    """
    import matplotlib.dates as mdates

    low = mdates.num2date(vmin / NS_PER_DAY, tz=zone)
    high = mdates.num2date(max(vmax, vmin + 1e9) / NS_PER_DAY, tz=zone)
    ticks = np.asarray(mdates.AutoDateLocator(tz=zone).tick_values(low, high)) * NS_PER_DAY
    if axis.axis_name != "x" or len(ticks) < 2 or not vmax > vmin:
        return ticks
    figure = axis.get_figure(root=True)
    box = axis.axes.get_position()
    inches_per_ns = box.width * figure.get_figwidth() / (vmax - vmin)
    label_width = _date_label_width(axis, ticks, zone)
    fitting = max(2, int(box.width * figure.get_figwidth() / (1.3 * label_width)))
    if len(ticks) > fitting:
        fewer = mdates.AutoDateLocator(minticks=min(3, fitting), maxticks=fitting, tz=zone)
        with warnings.catch_warnings():
            # when no step of the unit gives few enough ticks, the locator warns and takes its
            # largest step (12 hours, say); the labels that still collide are left out below
            warnings.filterwarnings("ignore", "AutoDateLocator was unable to pick", UserWarning)
            ticks = np.asarray(fewer.tick_values(low, high)) * NS_PER_DAY
    centres = box.x0 * figure.get_figwidth() + (ticks - vmin) * inches_per_ns  # inches from the figure's left
    half, gap = _date_label_width(axis, ticks, zone) / 2, 0.1  # inches
    kept, right_of_last = [], -gap / 2  # so the first label starts gap / 2 inside the figure
    for tick, centre in zip(ticks, centres):  # a handful of ticks
        inside = vmin <= tick <= vmax
        if inside and centre - half >= right_of_last + gap and centre + half <= figure.get_figwidth() - gap / 2:
            kept.append(tick)
            right_of_last = centre + half
        elif not inside:
            kept.append(tick)  # not drawn: matplotlib shows only the ticks inside the view
    return np.asarray(kept)


def _date_label_width(axis: Any, ticks: np.ndarray, zone: Any = None) -> float:
    """The width in inches of the widest label of ``ticks`` as a date axis writes them."""
    import matplotlib as mpl
    import matplotlib.dates as mdates
    from matplotlib.font_manager import FontProperties

    pattern = _date_pattern(ticks, zone)
    labels = [mdates.num2date(tick / NS_PER_DAY, tz=zone).strftime(pattern) for tick in ticks]
    size = FontProperties(size=mpl.rcParams[f"{axis.axis_name}tick.labelsize"]).get_size_in_points()  # labels not made yet
    return max(_text_width(label, size, mpl.rcParams["font.family"][0]) for label in labels) / 72


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float, family: str) -> float:
    """The width in points of ``text`` in the default font (memoised: the tick locator asks for
    the same labels every time a figure is drawn)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    return TextToPath().get_text_width_height_descent(text, FontProperties(family=family, size=size), ismath=False)[0]


def _date_pattern(ticks: Sequence[float], zone: Any = None) -> str:
    """The shortest date format that tells the ticks (nanoseconds) apart: the year alone when
    they all fall on 1 January, the month when on the first of a month, and so on (on the
    clock of ``zone`` when given)."""
    # to whole microseconds: float64 nanoseconds of today's dates are only good to ~256 ns
    stamps = np.round(np.asarray(ticks, dtype=np.float64) / 1e3).astype(np.int64).astype("datetime64[us]")
    if zone is not None and len(stamps):
        import pandas as pd

        stamps = pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(zone).tz_localize(None).to_numpy()
    if len(stamps) == 0:
        return "%Y-%m-%d"
    if (stamps != stamps.astype("datetime64[m]")).any():
        return "%Y-%m-%d %H:%M:%S"
    if (stamps != stamps.astype("datetime64[D]")).any():
        return "%Y-%m-%d %H:%M"
    if (stamps != stamps.astype("datetime64[M]")).any():
        return "%Y-%m-%d"
    return "%Y-%m" if (stamps != stamps.astype("datetime64[Y]")).any() else "%Y"


def _visible_window(comparison: DistributionComparison) -> tuple[float, float]:
    """The x range where either curve is above 0.1 % of the peak, inside the data's window.

    The window (the robust range of the data, widened by ``EDGE_PAD`` on each side) bounds
    it, so a far outlier never squashes the picture into a sliver at one side; the curves'
    own extent can narrow it, and shows where the reconstruction spills past the data.
    """
    grid = comparison.grid
    upper = np.maximum(comparison.original_density, comparison.reconstructed_density)
    visible = np.flatnonzero(upper > 1e-3 * upper.max())
    if len(visible) == 0 or visible[-1] == visible[0]:
        low, high = float(grid[0]), float(grid[-1])
    else:
        low, high = float(grid[visible[0]]), float(grid[visible[-1]])
    window_low, window_high = comparison.window
    if np.isfinite(window_low) and window_high > window_low:
        pad = EDGE_PAD * (window_high - window_low)
        low, high = max(low, window_low - pad), min(high, window_high + pad)
    return low, high


def _mark_outside(
    ax: Axes, n_below: int, n_above: int, low: float, high: float, time_kind: str | None = None, zone: str | None = None
) -> None:
    """Say how many values lie left and right of the x axis, with a triangle at that edge."""
    for count, edge, side in ((n_below, low, 0), (n_above, high, 1)):
        if not count:
            continue
        text = (
            f"{count:,} row{'' if count == 1 else 's'} {'below' if side == 0 else 'above'} "
            f"{format_value(edge, time_kind, zone=zone)}, beyond the axis"
        )
        ax.scatter([side], [0.0], marker="<" if side == 0 else ">", s=80, color=OUTLIER_COLOR,
                   transform=ax.transAxes, clip_on=False, zorder=5)  # fmt: skip
        ax.annotate(text, xy=(0.01 if side == 0 else 0.99, 0.97), xycoords="axes fraction", va="top",
                    ha="left" if side == 0 else "right", fontsize=9, color=OUTLIER_COLOR)  # fmt: skip


def _plot_point_mass(comparison: DistributionComparison, ax: Axes) -> None:
    """A constant feature: one spike of height 1 (the share of rows), not a density.

    With missing values, the share and the words are of the values present, and the figure
    says how many rows have none (one value among 300 rows is no "constant" column).
    """
    value = comparison.data_range[0]
    values = "the 1 value" if comparison.n_values == 1 else f"all {comparison.n_values:,} values"
    n_missing = comparison.n_missing
    if n_missing:
        values += " present"
    partitions = "1 partition" if comparison.n_partitions == 1 else f"{comparison.n_partitions} partitions"
    ax.vlines([value], 0, 1, color=ORIGINAL_COLOR, linewidth=4, label=f"Original: {values}")
    ax.vlines(
        [value], 0, 1, color=RECONSTRUCTION_COLOR, linewidth=2, linestyle="--",
        label=f"Reconstruction from {partitions}",
    )  # fmt: skip
    half_width = max(abs(value) * 0.05, 1.0)
    ax.set_xlim(value - half_width, value + half_width)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("Share of values present" if n_missing else "Share of rows")
    shown = format_value(value, comparison.time_kind, 6, comparison.time_zone)
    if not n_missing:
        text = f"Constant feature: every value is {shown}, a point mass with no density to draw"
    else:
        present = f"{comparison.n_values:,} value{'' if comparison.n_values == 1 else 's'} present"
        text = (
            f"{present}, {n_missing:,} missing: {'it is' if comparison.n_values == 1 else 'every one is'} {shown}, "
            "a point mass with no density to draw"
        )
    ax.annotate(text, xy=(0.01, 0.97), xycoords="axes fraction", va="top", fontsize=10, color=OUTLIER_COLOR)


# Grid steps either side of a point mass that its spike (a kernel one step wide) may reach.
SPIKE_STEPS = 6


def _mark_point_masses(
    ax: Axes, comparison: DistributionComparison, original: np.ndarray, reconstructed: np.ndarray, window: tuple[float, float]
) -> None:
    """Mark the partitions of equal values with ticks on the x axis, and keep their spikes
    from setting the plot's height.

    A partition whose values are all equal (a single row, most often) has a kernel of no
    width, which the reconstruction draws one grid step wide: a spike whose height depends
    on the grid, not on the data. The y axis is fitted to both curves away from the spikes,
    a spike that passes it is cut, and the legend says so.
    """
    grid = comparison.grid
    in_view = (comparison.point_masses >= window[0]) & (comparison.point_masses <= window[1])
    masses, values = comparison.point_masses[in_view], comparison.point_mass_values[in_view]
    near = np.zeros(len(grid), dtype=bool)
    centre = np.searchsorted(grid, masses)
    for offset in range(-SPIKE_STEPS, SPIKE_STEPS + 1):  # a dozen shifts, each vectorised
        near[np.clip(centre + offset, 0, len(grid) - 1)] = True
    shown = (grid >= window[0]) & (grid <= window[1])
    top = max(float(original[shown].max(initial=0.0)), float(reconstructed[shown & ~near].max(initial=0.0)))
    cut = top > 0 and float(reconstructed[shown & near].max(initial=0.0)) > 1.08 * top
    if cut:
        ax.set_ylim(0, 1.08 * top)
    m = len(masses)
    rows = "with a single value" if np.all(values == 1) else "whose values are equal"
    label = f"{m:,} partition{'s' if m > 1 else ''} {rows}: point mass{'es' if m > 1 else ''} (ticks)"
    if cut:
        label += ", spikes cut"
    ax.plot(masses, np.zeros(m), linestyle="none", marker="|", markersize=18, markeredgewidth=2,
            color=RECONSTRUCTION_COLOR, transform=ax.get_xaxis_transform(), clip_on=False, label=label)  # fmt: skip


def plot_distribution_comparison(comparison: DistributionComparison, ax: Axes | None = None) -> Figure:
    """Original density (solid blue) against the partitioned reconstruction (dashed red).

    Parameters
    ----------
    comparison : DistributionComparison
        From :meth:`hvrt.DistributionAnalyzer.compare`.
    ax : Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    Figure
    """
    masses = np.zeros(0)
    if not comparison.is_constant and len(comparison.point_masses):
        # those beyond the axis are counted there, as other values beyond it
        low, high = _visible_window(comparison)
        masses = comparison.point_masses[(comparison.point_masses >= low) & (comparison.point_masses <= high)]
    # two-line title and the legend row (two rows with point masses)
    figure, ax = _figure_and_axes(ax, 10, 5, top=1.2 if len(masses) else 0.95)
    score = comparison.score
    title = (
        f"Original vs. reconstructed distribution of '{_literal(comparison.feature)}'\n"
        f"Wasserstein-1 / std = {score.wasserstein:.3f}   KS = {score.ks:.3f}"
    )
    if comparison.n_missing:
        n_rows = comparison.n_missing + comparison.n_values
        title += f"   ({comparison.n_missing:,} of {n_rows:,} rows missing, {format_share(comparison.n_missing / n_rows)}: not drawn)"
    if comparison.is_constant:
        _plot_point_mass(comparison, ax)
        ax.set_title(title, fontsize=12, pad=26)
        ax.set_xlabel(_literal(comparison.feature))
        ax.grid(True, linestyle="--", alpha=0.5)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
        return figure
    grid = comparison.grid
    window = _visible_window(comparison)
    # A time feature's densities are per nanosecond (1e-13 per ns reads as nothing): drawn
    # per unit of the axis, per day for dates and per minute on an axis of minutes.
    per, unit_ns = _density_unit(comparison.time_kind, window[1] - window[0])
    original, reconstructed = comparison.original_density * unit_ns, comparison.reconstructed_density * unit_ns
    ax.fill_between(grid, original, color=FILL_COLOR, alpha=0.25, linewidth=0)
    ax.plot(grid, original, color=ORIGINAL_COLOR, linewidth=1.5, label="Original (KDE of the data)")
    ax.plot(
        grid,
        reconstructed,
        color=RECONSTRUCTION_COLOR,
        linewidth=2,
        linestyle="--",
        label=(
            f"Reconstruction from {comparison.n_partitions} "
            f"partition{'' if comparison.n_partitions == 1 else 's'} ({comparison.method})"
        ),
    )
    ax.set_xlim(*window)
    ax.set_ylim(bottom=0)
    if len(masses):
        _mark_point_masses(ax, comparison, original, reconstructed, window)  # those in view
    _mark_outside(
        ax, comparison.n_below, comparison.n_above, *comparison.window, comparison.time_kind, comparison.time_zone
    )
    ax.set_title(title, fontsize=12, pad=40 if len(masses) else 26)
    ax.set_xlabel(_literal(comparison.feature))
    _time_axis(ax.xaxis, comparison.time_kind, str(comparison.feature), comparison.time_zone)
    ax.set_ylabel("Density" if per is None else f"Density (per {per})")
    ax.grid(True, linestyle="--", alpha=0.5)
    # Above the axes: inside, it would hide part of a curve whatever the distribution's shape.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    return figure


def plot_partition_sizes(
    partition_ids: Sequence[Any] | np.ndarray,
    sizes: np.ndarray,
    as_histogram: bool,
    max_bins: int = 50,
) -> Figure:
    """Rows per partition: one bar per partition, or a histogram of the sizes.

    Parameters
    ----------
    partition_ids : sequence of shape (K,)
        Labels, used as bar labels.
    sizes : ndarray of shape (K,)
        Rows per partition.
    as_histogram : bool
        Histogram of sizes (for many partitions) instead of one bar per partition.
    max_bins : int, default=50
        Histogram bins, at most one per partition.

    Returns
    -------
    Figure
    """
    sizes = np.asarray(sizes)
    n_partitions = len(sizes)
    figure = _new_figure(10, 4.5, bottom=1.0 if (not as_histogram and n_partitions > 20) else 0.6)
    ax = figure.add_subplot()
    if as_histogram:
        ax.hist(sizes, bins=min(n_partitions, max_bins), color=FILL_COLOR, edgecolor=ORIGINAL_COLOR)
        ax.set_title(f"Histogram of partition sizes ({n_partitions} partitions)")
        ax.set_xlabel("Rows in partition")
        ax.set_ylabel("Partitions")
    else:
        positions = np.arange(n_partitions)
        ax.bar(positions, sizes, color=FILL_COLOR, edgecolor=ORIGINAL_COLOR)
        ax.set_xticks(positions, [_literal(p) for p in partition_ids], rotation=90 if n_partitions > 20 else 0)
        ax.set_title(f"Rows per partition ({n_partitions} partitions)")
        ax.set_xlabel("Partition")
        ax.set_ylabel("Rows")
    ax.grid(True, axis="y", linestyle="--", alpha=0.5)
    return figure


def plot_binned_violin(binned: BinnedSamples) -> Figure:
    """The binned violin plot: how a feature's distribution moves across partitions.

    Partitions are sorted by their mean of the feature and cut into equal-width bins of
    partition rank; each bin's violin shows (a bounded sample of) its raw values, with
    no density drawn past the values observed in the bin. The value axis is the
    feature's robust window (:func:`hvrt._figure_data.robust_window`); values beyond it
    are not drawn but counted: a triangle at the axis edge above each bin that has some,
    with their number.

    Parameters
    ----------
    binned : BinnedSamples
        From :func:`hvrt.profiler.binned_violin_samples`.

    Returns
    -------
    Figure
    """
    figure = _new_figure(12, 5, top=0.7)  # room for a second title line
    ax = figure.add_subplot()
    positions = np.flatnonzero([len(sample) > 0 for sample in binned.samples])
    if len(positions):
        parts = ax.violinplot(
            [binned.samples[i] for i in positions],
            positions=positions + 1,
            widths=0.85,
            showmedians=True,
            showextrema=True,
        )
        for body in parts["bodies"]:
            body.set_facecolor(FILL_COLOR)
            body.set_edgecolor(ORIGINAL_COLOR)
            body.set_alpha(0.7)
        for key in ("cmedians", "cmins", "cmaxes", "cbars"):
            if key in parts:
                parts[key].set_color(ORIGINAL_COLOR)
                parts[key].set_linewidth(1)
    n_bins = len(binned.samples)
    for b in np.flatnonzero(binned.rows_per_bin == 0):  # a bin of partitions without values
        ax.text(b + 1, 0.5, "no value", transform=ax.get_xaxis_transform(), rotation=90,
                ha="center", va="center", fontsize=9, color=OUTLIER_COLOR)  # fmt: skip
    ax.set_xticks(np.arange(1, n_bins + 1))
    ax.set_xlim(0.4, n_bins + 0.6)
    low, high = binned.window
    title = f"Binned distribution trend for '{_literal(binned.feature)}'"
    if np.isfinite(low):
        pad = EDGE_PAD * (high - low) if high > low else max(abs(high) * 0.05, 0.5)
        ax.set_ylim(low - pad, high + pad)
        for counts, level, marker in ((binned.below_per_bin, low - pad / 2, "v"), (binned.above_per_bin, high + pad / 2, "^")):
            bins = np.flatnonzero(counts)
            ax.scatter(bins + 1, np.full(len(bins), level), marker=marker, s=30, color=OUTLIER_COLOR, zorder=4)
            for b in bins:  # at most n_bins labels
                ax.annotate(f"{counts[b]:,}", xy=(b + 1.12, level), va="center", fontsize=8, color=OUTLIER_COLOR)
        n_below, n_above = int(binned.below_per_bin.sum()), int(binned.above_per_bin.sum())
        if n_below or n_above:
            high_text, low_text = (format_value(edge, binned.time_kind, zone=binned.time_zone) for edge in (high, low))
            parts = [f"{n_above:,} above {high_text}"] if n_above else []
            parts += [f"{n_below:,} below {low_text}"] if n_below else []
            n_out = n_below + n_above
            line = f"{n_out:,} row{'' if n_out == 1 else 's'} beyond the axis ({', '.join(parts)}):"
            # two dates with their UTC offsets make the line too long for the figure's width
            title += f"\n{line}" + ("\n" if len(line) > 90 else " ") + "counted per bin at the edge"
    if binned.n_missing:
        title += "\n" + missing_note(binned.feature, binned.n_missing, binned.n_missing + int(binned.rows_per_bin.sum()))
        n_empty = binned.n_empty_partitions
        if n_empty:
            title += f"; {n_empty:,} partition{'s' if n_empty > 1 else ''} with no value, ranked last"
    ax.set_title(title)
    if title.count("\n") > 1:  # a third title line
        figure.subplots_adjust(top=1 - (0.45 + 0.25 * title.count("\n")) / figure.get_figheight())
    ax.set_xlabel(
        f"Partition bins: {binned.n_partitions} partitions sorted by mean '{_literal(binned.feature)}', "
        f"{n_bins} equal-width rank bins (about {binned.n_partitions / n_bins:.0f} partitions each)"
    )
    ax.set_ylabel(_literal(binned.feature))
    _time_axis(ax.yaxis, binned.time_kind, str(binned.feature), binned.time_zone)
    ax.grid(True, axis="y", linestyle="--", alpha=0.5)
    return figure


def plot_partition_boxes(boxes: PartitionBoxes) -> Figure:
    """One box per partition: quartiles, median and whiskers at 1.5 IQR (no outliers).

    Parameters
    ----------
    boxes : PartitionBoxes
        From :func:`hvrt.profiler.partition_box_stats`.

    Returns
    -------
    Figure
    """
    n_boxes = len(boxes.stats)
    n_empty = len(boxes.empty_labels)
    n_slots = n_boxes + n_empty  # every partition keeps its place, with or without a box
    positions = np.arange(n_boxes) if boxes.positions is None else np.asarray(boxes.positions)
    lines = [f"Distribution of '{_literal(boxes.feature)}' across partitions"]
    if boxes.n_missing:
        note = missing_note(boxes.feature, boxes.n_missing, boxes.n_missing + boxes.n_values)
        if n_empty:
            label = _some(boxes.empty_labels)
            note += f"; partition{'s' if n_empty > 1 else ''} {label} {'have' if n_empty > 1 else 'has'} no value (no box)"
        lines.append(note)
    n_outside = int(boxes.outside_per_box.sum())
    if n_outside:
        lines.append(f"{n_outside:,} value{'' if n_outside == 1 else 's'} beyond the whiskers (1.5 IQR) not drawn")
    figure = _new_figure(
        max(10.0, min(0.3 * n_slots, 16.0)), 5, bottom=1.0 if n_slots > 20 else 0.6, top=0.45 + 0.25 * (len(lines) - 1)
    )
    ax = figure.add_subplot()
    if n_boxes:
        ax.bxp(
            boxes.stats,
            positions=positions,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": FILL_COLOR, "edgecolor": ORIGINAL_COLOR},
            medianprops={"color": RECONSTRUCTION_COLOR},
        )
    for position in boxes.empty_positions:  # at most plot_threshold places
        ax.text(position, 0.5, "no value", transform=ax.get_xaxis_transform(), rotation=90,
                ha="center", va="center", fontsize=9, color=OUTLIER_COLOR)  # fmt: skip
    if n_slots:
        slots = np.concatenate((positions, boxes.empty_positions))
        labels = [s["label"] for s in boxes.stats] + list(boxes.empty_labels)
        order = np.argsort(slots, kind="stable")
        ax.set_xticks(slots[order], [_literal(labels[i]) for i in order], rotation=90 if n_slots > 20 else 0)
        ax.set_xlim(slots.min() - 0.6, slots.max() + 0.6)
    ax.set_title("\n".join(lines))
    ax.set_xlabel("Partition")
    ax.set_ylabel(_literal(boxes.feature))
    _time_axis(ax.yaxis, boxes.time_kind, str(boxes.feature), boxes.time_zone)
    ax.grid(True, axis="y", linestyle="--", alpha=0.5)
    return figure
