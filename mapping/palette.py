"""The colours every map shares, on screen and in exports: the app's web map, the printed
report's maps, KML placemarks and the QGIS style stored with a GeoPackage.

Ranks are shown in five graduated classes (ColorBrewer RdYlGn): the first fifth of the
ranking darkest red, the last fifth green. No plotting or web-map library is needed here.
"""

from __future__ import annotations

import math

RANK_COLOURS = ("#a50026", "#f46d43", "#fdae61", "#a6d96a", "#1a9850")  # first fifth … last fifth
UNRANKED_COLOUR = "#777777"
SELECTED_COLOUR = "#08519c"
OFFICIAL_COLOUR, UNOFFICIAL_COLOUR = "#252525", "#e31a1c"
SETTLEMENT_COLOUR = "#3f3f3f"
ROAD_COLOUR, BORDER_COLOUR, LAND_COLOUR = "#b15928", "#6a3d9a", "#f4efe4"
RIVER_COLOUR, LAKE_COLOUR = "#3182bd", "#9ecae1"  # water: rivers (lines) and lakes (fill)
NOTE_COLOURS = {"new_crossing": "#1f78b4", "wrong_position": "#ff7f00", "other": "#6a3d9a"}


def rank_class(rank: float | None, count: int) -> int | None:
    """The class (0 = first fifth … 4 = last fifth) of ``rank`` among ``count`` ranked posts;
    None for a post without a rank."""
    if rank is None or not math.isfinite(rank) or count < 1:
        return None
    return min(int((rank - 1) * len(RANK_COLOURS) / count), len(RANK_COLOURS) - 1)


def rank_colour(rank: float | None, count: int) -> str:
    """Graduated colour: the first fifth of the ranking darkest red, the last fifth green."""
    index = rank_class(rank, count)
    return UNRANKED_COLOUR if index is None else RANK_COLOURS[index]


def rank_classes(count: int) -> list[tuple[int, int, str]]:
    """The classes that ``count`` ranked posts fill: (first rank, last rank, colour), best first."""
    classes: dict[int, list[int]] = {}
    for rank in range(1, count + 1):
        classes.setdefault(rank_class(rank, count) or 0, []).append(rank)
    return [(ranks[0], ranks[-1], RANK_COLOURS[index]) for index, ranks in sorted(classes.items())]


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (0 black … 1 white)."""
    def channel(text: str) -> float:
        value = int(text, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(hex_colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def label_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (a rank number on its marker)."""
    light = _luminance(fill)
    return "#000000" if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#ffffff"


# travel-time bands (ColorBrewer PuBuGn, sequential): the shortest time darkest
TIME_BAND_COLOURS = ("#016c59", "#02818a", "#3690c0", "#67a9cf", "#a6bddb")
# areas drawn side by side (ColorBrewer Dark2, qualitative): neighbours take different colours
# (purple and magenta first: they stand apart from the teal bands and the yellow-red population)
AREA_COLOURS = ("#7570b3", "#e7298a", "#d95f02", "#1b9e77", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def time_band_colours(count: int) -> list[str]:
    """``count`` colours of ``TIME_BAND_COLOURS`` spread from darkest to lightest, the shortest
    time first; more bands than colours are given colours blended between them."""
    if count <= 1:
        return list(TIME_BAND_COLOURS[:count])
    steps = len(TIME_BAND_COLOURS) - 1
    colours = []
    for i in range(count):
        position = i * steps / (count - 1)
        low = min(int(position), steps - 1)
        share = position - low
        pair = [[int(c[j:j + 2], 16) for j in (1, 3, 5)] for c in TIME_BAND_COLOURS[low:low + 2]]
        colours.append("#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(*pair, strict=True)))
    return colours
