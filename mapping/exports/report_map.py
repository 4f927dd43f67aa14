"""Static maps of the printed report, drawn offline with matplotlib (PNG bytes).

Layers (EPSG:4326) are clipped to the posts' area and projected once to ``study_crs``, a
Lambert azimuthal equal-area projection in metres centred on the posts, so the scale bar
is true in km to within that projection's scale error over the posts' area (measured:
``compute_indicators(...).attrs["max_scale_distortion"]``). The post insets share one
figure on which the layers are drawn once; only the extent, the highlight and the scale
bar change from one inset to the next. A border's map draws only what its extent shows
(lines and polygons cut to it, posts inside it), so that a region's many borders each
cost little. Only numbers and country names are drawn as text.
"""

from __future__ import annotations

import io
import math

import geopandas as gpd
import numpy as np
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry import box

from ..geo import study_crs
from ..i18n import t
from ..palette import (
    BORDER_COLOUR,
    LAKE_COLOUR,
    OFFICIAL_COLOUR,
    RANK_COLOURS,
    RIVER_COLOUR,
    ROAD_COLOUR,
    SETTLEMENT_COLOUR,
    UNOFFICIAL_COLOUR,
    label_colour,
    rank_colour,
)
from .bundle import ExportBundle
from .report_travel import draw_travel

OVERVIEW_WIDTH = 6.8  # inches: the width of an A4 page's text
LEGEND_HEIGHT = 1.0  # inches below the overview map
ASPECT_RANGE = (0.55, 1.1)  # height / width of the overview map, widened to fit
INSET_SIZE = (3.4, 3.4)  # inches
BORDER_SIZE = (6.8, 4.2)  # inches: a border's map, the width of the page's text
BORDER_MARGIN = 0.15  # share of the border's posts' span added on each side of its map
BORDER_REACH_KM = 50.0  # and at least this, so the border is in view (served_borders' snap distance)
DPI = 150
MARGIN_DEG = 0.6  # degrees around the posts kept for the overview
DEFAULT_RADIUS_KM = 20.0
SEA = "#dfeaf2"
LAND = "#f4f1ea"
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # names stay legible over lines


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _plain(text: object) -> str:
    """Text that matplotlib draws as is (a ``$`` would start mathematics)."""
    return str(text).replace("$", r"\$")


def _nice_km(span_km: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k km) near a fifth of ``span_km``."""
    target = span_km / 5
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


class ReportMaps:
    """The study-area map and one inset per post for one bundle, in the bundle's language."""

    def __init__(self, bundle: ExportBundle) -> None:
        self.lang = bundle.lang
        self.radius_km = float(bundle.profile.indicator_settings.get("radius_km", DEFAULT_RADIUS_KM))
        posts = bundle.posts
        west, south, east, north = posts.total_bounds
        area = box(west - MARGIN_DEG, south - MARGIN_DEG, east + MARGIN_DEG, north + MARGIN_DEG)
        self.crs = study_crs(area.bounds)
        span = max(east - west, north - south) / 2 + 2 * MARGIN_DEG  # room to widen the overview
        centre = area.centroid
        drawn = box(centre.x - span, centre.y - span, centre.x + span, centre.y + span)
        self.layers = {kind: gpd.clip(layer, drawn).to_crs(self.crs)
                       for kind, layer in bundle.layers.items() if layer is not None and len(layer)}
        self.posts = posts.to_crs(self.crs)
        self.colours = [rank_colour(r, len(posts)) for r in posts["rank"]]
        self.extent = gpd.GeoSeries([area], crs=4326).to_crs(self.crs).total_bounds
        self.travel = bundle.travel
        self._inset: tuple[Figure, Axes] | None = None
        self._inset_extras: list = []

    def draw_layers(self, ax, layers: dict[str, gpd.GeoDataFrame] | None = None,
                    extent: tuple[float, float, float, float] | None = None, posts: bool = True) -> None:
        """The layers (``self.layers`` unless given) and the ranked posts (unless ``posts`` is
        False) on ``ax``; with ``extent`` (metres), only the posts inside it (each number is a
        costly text to draw)."""
        ax.set_facecolor(SEA)
        layers = self.layers if layers is None else layers
        if "countries" in layers:
            layers["countries"].plot(ax=ax, color=LAND, edgecolor="#b9b0a0", linewidth=0.4, zorder=1)
        if "lakes" in layers:
            layers["lakes"].plot(ax=ax, color=LAKE_COLOUR, edgecolor=RIVER_COLOUR, linewidth=0.4, zorder=1.5)
        if "rivers" in layers:
            layers["rivers"].plot(ax=ax, color=RIVER_COLOUR, linewidth=0.7, zorder=1.5)
        if "borders" in layers:
            layers["borders"].plot(ax=ax, color=BORDER_COLOUR, linewidth=1.2, linestyle="--", zorder=2)
        if "roads" in layers:
            layers["roads"].plot(ax=ax, color=ROAD_COLOUR, linewidth=0.9, zorder=3)
        if "settlements" in layers:
            layers["settlements"].plot(ax=ax, color=SETTLEMENT_COLOUR, markersize=2, zorder=3)
        crossings = layers.get("crossings")
        if crossings is not None:
            unofficial = crossings["kind"] == "unofficial"
            if (~unofficial).any():
                crossings[~unofficial].plot(ax=ax, color=OFFICIAL_COLOUR, marker="s", markersize=10, zorder=4)
            if unofficial.any():
                crossings[unofficial].plot(ax=ax, color=UNOFFICIAL_COLOUR, marker="x", markersize=14,
                                           linewidth=1, zorder=4)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_aspect("equal")
        if posts:
            self._ranked_posts(ax, extent)

    def _ranked_posts(self, ax, extent: tuple[float, float, float, float] | None) -> None:
        xs, ys = self.posts.geometry.x.to_numpy(), self.posts.geometry.y.to_numpy()
        inside = np.ones(len(xs), dtype=bool) if extent is None else \
            (xs >= extent[0]) & (xs <= extent[2]) & (ys >= extent[1]) & (ys <= extent[3])
        colours = [c for c, keep in zip(self.colours, inside, strict=True) if keep]
        xs, ys, ranks = xs[inside], ys[inside], self.posts["rank"].to_numpy()[inside]
        ax.scatter(xs, ys, s=110, c=colours, edgecolors="black", linewidths=0.6, zorder=5)
        for x, y, rank, colour in zip(xs, ys, ranks, colours, strict=True):
            ax.text(x, y, str(int(rank)), ha="center", va="center", fontsize=6, fontweight="bold",
                    color=label_colour(colour), zorder=6, clip_on=True)

    def country_names(self, ax, extent: tuple[float, float, float, float]) -> list:
        """Each country's name inside the part of it that ``extent`` (metres) shows; the texts."""
        column = f"name_{self.lang}"
        countries = self.layers.get("countries")
        if countries is None or column not in countries:
            return []
        shown = countries.geometry.clip_by_rect(*extent)
        texts = []
        for name, shape in zip(countries[column], shown, strict=True):
            if shape.is_empty:
                continue
            point = shape.representative_point()
            texts.append(ax.text(point.x, point.y, _plain(name).upper(), ha="center", va="center",
                                 fontsize=7, color="#6b6250", zorder=3.5, clip_on=True, path_effects=HALO))
        return texts

    def scale_bar(self, ax, width_m: float) -> AnchoredSizeBar:
        km = _nice_km(width_m / 1000)
        bar = AnchoredSizeBar(ax.transData, km * 1000, t("units.km", self.lang, value=km),
                              loc="lower left", frameon=True, size_vertical=width_m / 250,
                              pad=0.4, borderpad=0.6, sep=3, fontproperties={"size": 7})
        bar.set_zorder(10)  # above the posts and their numbers
        ax.add_artist(bar)
        return bar

    def north_arrow(self, ax) -> None:
        ax.annotate("", xy=(0.94, 0.95), xytext=(0.94, 0.82), xycoords="axes fraction",
                    arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 8})
        ax.text(0.94, 0.77, t("report.map.north", self.lang), transform=ax.transAxes, ha="center",
                va="center", fontsize=9, fontweight="bold")

    def _legend(self, ax) -> None:
        ranks = self.posts["rank"].astype(int)
        handles: list[Artist] = []
        for colour in RANK_COLOURS:
            chosen = ranks[[c == colour for c in self.colours]]
            if len(chosen):
                handles.append(Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=colour,
                                      markeredgecolor="black",
                                      label=t("report.map.ranks", self.lang, first=int(chosen.min()),
                                              last=int(chosen.max()))))
        handles += [
            Line2D([], [], marker="s", linestyle="", color=OFFICIAL_COLOUR, markersize=4,
                   label=t("map.legend.official", self.lang)),
            Line2D([], [], marker="x", linestyle="", color=UNOFFICIAL_COLOUR, markersize=5,
                   label=t("map.legend.unofficial", self.lang)),
            Line2D([], [], color=ROAD_COLOUR, linewidth=1, label=t("report.map.road", self.lang)),
            Line2D([], [], color=BORDER_COLOUR, linewidth=1.2, linestyle="--",
                   label=t("report.map.border", self.lang)),
            Line2D([], [], marker="o", linestyle="", color=SETTLEMENT_COLOUR, markersize=2,
                   label=t("report.map.settlement", self.lang)),
        ]
        if "rivers" in self.layers:
            handles.append(Line2D([], [], color=RIVER_COLOUR, linewidth=0.7,
                                  label=t("report.map.river", self.lang)))
        if "lakes" in self.layers:
            handles.append(Patch(facecolor=LAKE_COLOUR, edgecolor=RIVER_COLOUR, linewidth=0.4,
                                 label=t("report.map.lake", self.lang)))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=4, fontsize=6.5,
                  frameon=False, title=t("map.legend.title", self.lang), title_fontsize=7)

    def _overview_extent(self) -> tuple[float, float, float, float]:
        """The posts' area widened so that its height / width lies within ``ASPECT_RANGE``."""
        west, south, east, north = self.extent
        width, height = east - west, north - south
        aspect = min(max(height / width, ASPECT_RANGE[0]), ASPECT_RANGE[1])
        width, height = max(width, height / aspect), max(height, width * aspect)
        x, y = (west + east) / 2, (south + north) / 2
        return x - width / 2, y - height / 2, x + width / 2, y + height / 2

    def overview(self) -> bytes:
        """The study area: countries, borders, roads, crossings, settlements and ranked posts,
        and the minutes from the quickest post when the profile ranks on travel time."""
        west, south, east, north = self._overview_extent()
        map_height = OVERVIEW_WIDTH * (north - south) / (east - west)
        figure = Figure(figsize=(OVERVIEW_WIDTH, map_height + LEGEND_HEIGHT), layout="constrained")
        ax = figure.add_subplot()
        self.draw_layers(ax)
        if self.travel is not None:
            draw_travel(ax, self.travel, self.crs, (west, south, east, north), self.lang)
            ax.set_xlabel("")  # the GeoSeries plot names the axes
            ax.set_ylabel("")
        self.country_names(ax, (west, south, east, north))
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        self.scale_bar(ax, east - west)
        self.north_arrow(ax)
        self._legend(ax)
        return _png(figure)

    def border(self, post_ids: list[str]) -> bytes:
        """The posts of one border (``post_ids``): the same layers, the extent fitted to those
        posts with a margin (at least ``BORDER_REACH_KM``, so the border they serve shows), at
        the page's width."""
        west, south, east, north = self.posts.geometry.loc[post_ids].total_bounds
        pad = max(BORDER_MARGIN * max(east - west, north - south), BORDER_REACH_KM * 1000)
        west, south, east, north = west - pad, south - pad, east + pad, north + pad
        aspect = BORDER_SIZE[1] / BORDER_SIZE[0]  # widen the box to the figure's shape
        width, height = max(east - west, (north - south) / aspect), max(north - south, (east - west) * aspect)
        x, y = (west + east) / 2, (south + north) / 2
        extent = (x - width / 2, y - height / 2, x + width / 2, y + height / 2)
        figure = Figure(figsize=BORDER_SIZE)
        ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
        self.draw_layers(ax, self.within(extent), extent)
        self.north_arrow(ax)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        self.country_names(ax, extent)
        self.scale_bar(ax, width)
        return _png(figure)

    def within(self, extent: tuple[float, float, float, float]) -> dict[str, gpd.GeoDataFrame]:
        """The layers within ``extent`` (metres): features found with the spatial index, lines
        and polygons cut to the extent; layers with nothing there are left out."""
        area = box(*extent)
        shown = {}
        for kind, layer in self.layers.items():
            rows = layer.iloc[layer.sindex.query(area, predicate="intersects")]
            if kind in ("countries", "borders", "roads", "rivers", "lakes"):
                rows = rows.set_geometry(rows.geometry.clip_by_rect(*extent))
                rows = rows[~rows.geometry.is_empty]
            if len(rows):
                shown[kind] = rows
        return shown

    def inset(self, post_id: str) -> bytes:
        """The surroundings of one post: twice the indicator radius each way, the radius circled."""
        if self._inset is None:
            figure = Figure(figsize=INSET_SIZE)
            ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
            self.draw_layers(ax)
            self.north_arrow(ax)
            self._inset = (figure, ax)
        figure, ax = self._inset
        for artist in self._inset_extras:
            artist.remove()
        point = self.posts.geometry.loc[post_id]
        half = 2 * self.radius_km * 1000
        ax.set_xlim(point.x - half, point.x + half)
        ax.set_ylim(point.y - half, point.y + half)
        ring = Circle((point.x, point.y), self.radius_km * 1000, fill=False, edgecolor="#222222",
                      linewidth=1, linestyle=":", zorder=5)
        ax.add_patch(ring)
        self._inset_extras = [ring, self.scale_bar(ax, 2 * half)]
        return _png(figure)
