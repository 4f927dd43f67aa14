"""The travel-time layer of the report's overview map (matplotlib, in the map's CRS, metres),
drawn when the profile ranks on travel time: the minutes from the quickest post in bands
(the profile's times, then doubling up to ``EXTRA_BANDS`` times so that the whole modelled
area shows its gradient at the scale of a region, and a last band beyond), the outline of
each post's quickest-post area, and the time scale as a legend."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from rasterio.transform import from_bounds
from rasterio.warp import Resampling, reproject

from ..access.catchments import quickest_areas
from ..i18n import format_number, t
from .access_parts import TravelLayer

EXTRA_BANDS = 3  # doublings of the longest time added to the scale
RASTER_WIDTH = 900  # pixels of the reprojected minutes across the overview
TIME_ALPHA = 0.55
AREA_EDGE = "#4d4d4d"


def band_colours(count: int) -> list[str]:
    """``count`` colours from dark (quick) to pale (slow)."""
    ramp = colormaps["YlGnBu_r"]
    return [to_hex(ramp(x)) for x in np.linspace(0.15, 0.85, count)]


def band_limits(minutes: tuple[float, ...], longest: float) -> list[float]:
    """The bands' upper limits (minutes): ``minutes``, then the longest doubled while below
    ``longest`` (the longest finite time of the surface), at most ``EXTRA_BANDS`` times."""
    limits = sorted(minutes)
    while len(limits) < len(minutes) + EXTRA_BANDS and limits[-1] * 2 < longest:
        limits.append(limits[-1] * 2)
    return limits


def band_labels(limits: list[float], lang: str) -> list[str]:
    """The bands' names: "0–60 min", "60–120 min", "over 120 min"."""
    highs = [format_number(m, lang, 0) for m in limits]
    lows = ["0", *highs[:-1]]
    return ([t("report_access.travel.band", lang, low=low, high=high) for low, high in zip(lows, highs,
                                                                                            strict=True)]
            + [t("report_access.travel.beyond", lang, high=highs[-1])])


def draw_travel(ax: Axes, layer: TravelLayer, crs: object, extent: tuple[float, float, float, float],
                lang: str) -> None:
    """Shade the minutes from the quickest post in bands over ``extent`` (metres of ``crs``),
    outline the quickest-post areas, and add the time scale as a legend in the map's upper
    left corner."""
    surface, minutes = layer.surface, layer.surface.minutes
    finite = minutes[np.isfinite(minutes)]
    limits = np.array(band_limits(layer.minutes, float(finite.max()) if finite.size else 0.0))
    band = np.where(np.isfinite(minutes), np.searchsorted(limits, minutes, side="left") + 1, 0)
    west, south, east, north = extent
    height = max(round(RASTER_WIDTH * (north - south) / (east - west)), 1)
    shown = np.zeros((height, RASTER_WIDTH), dtype=np.uint8)
    reproject(band.astype(np.uint8), shown, src_transform=surface.grid.transform, src_crs=surface.grid.crs,
              dst_transform=from_bounds(west, south, east, north, RASTER_WIDTH, height), dst_crs=crs,
              resampling=Resampling.nearest, src_nodata=0, dst_nodata=0)
    colours = band_colours(len(limits) + 1)
    ax.imshow(np.ma.masked_equal(shown, 0), extent=(west, east, south, north), origin="upper",
              cmap=ListedColormap(colours), vmin=0.5, vmax=len(colours) + 0.5, alpha=TIME_ALPHA,
              interpolation="nearest", zorder=1.2)
    areas = quickest_areas(surface, np.inf)
    if len(areas):
        areas.to_crs(crs).boundary.plot(ax=ax, color=AREA_EDGE, linewidth=0.5, zorder=1.7)
    handles: list[Artist] = [Patch(facecolor=c, alpha=TIME_ALPHA, edgecolor="none", label=text)
                             for c, text in zip(colours, band_labels(list(limits), lang), strict=True)]
    edge = Line2D([], [], color=AREA_EDGE, linewidth=0.8, label=t("report_access.travel.areas", lang))
    handles.append(edge)
    legend = ax.legend(handles=handles, loc="upper left", fontsize=6, title_fontsize=6.5, framealpha=0.9,
                       title=t("report_access.travel.scale", lang,
                               mode=t(f"access.mode.{surface.mode}", lang)))
    legend.set_zorder(10)
    ax.add_artist(legend)  # the map's own legend comes after and would replace it
