"""The map page's travel times: the controls (shown or not, mode, quickest-post areas), the
layers they add to the map and the selected post's travel-time indicators.

The mode defaults to the profile's ``[access]`` mode and the times are the profile's; the
surfaces, bands, areas and indicators are cached (``data``), so only the first use of a mode
on a store version computes anything, under a spinner.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import pandas as pd
import streamlit as st

from ..access.settings import TRAVEL_MODES
from ..access_map import isochrone_layer, quickest_layer
from ..errors import BordermapError
from ..i18n import Term, t
from ..scoring.profile import Profile
from . import data, error_text
from .choices import choose


@dataclass(frozen=True)
class MapTravel:
    """What the map shows of travel times: by ``mode``, with the quickest-post ``areas`` or not."""

    mode: str
    areas: bool


@dataclass(frozen=True)
class TravelLayers:
    """The layers to add to the map (areas first: they lie behind the posts) and the travel-time
    indicators by ``mode`` of every post (None without a selected post)."""

    mode: str
    groups: list[folium.FeatureGroup]
    values: pd.DataFrame | None = None
    placed: bool = True  # the selected post has bands (it lies on the travel grid)


def controls(profile: Profile, lang: str) -> MapTravel | None:
    """The travel-time controls in the current container; None while travel times are off
    (the mode and areas keep their values: ``controls.PAGE_SETTINGS``, ``choices.choose``)."""
    columns = st.columns([1, 2, 2])
    shown = columns[0].toggle(t("map_access.show", lang), key="access_map",
                              help=t("map_access.show_help", lang))
    if not shown:
        return None
    with columns[1]:
        mode = choose(st.radio, t("map_access.mode", lang), TRAVEL_MODES, "access_mode",
                      lambda m: t(f"map_access.modes.{m}", lang), default=profile.access.mode,
                      horizontal=True)
    areas = columns[2].toggle(t("map_access.areas", lang), key="access_areas",
                              help=t("map_access.areas_help", lang, minutes=max(profile.access.minutes)))
    return MapTravel(str(mode), areas)


def layers(page: data.Page, travel: MapTravel, selected: str | None, names: dict[str, str],
           indicators: pd.DataFrame) -> TravelLayers:
    """The quickest-post areas (when asked for) and the selected post's bands, with the
    indicators; computed under a spinner the first time. An error is shown, and no layer.
    For a viewer who sees a layer of the friction surface limited, no area or band is drawn
    and a caption says why; the figures stay."""
    settings, mode, lang = page.profile.access, travel.mode, page.lang
    drawn = data.travel_shown(page.path)
    if not drawn:
        st.caption(t("protection_more.travel_hidden", lang))
    try:
        with st.spinner(t("map_access.computing", lang, mode=Term(f"access.mode.{mode}"))):
            groups = []
            if travel.areas and drawn:
                areas = data.quickest(page.path, page.version, settings, mode)
                groups.append(quickest_layer(areas, names, max(settings.minutes), mode, lang))
            if not selected:
                return TravelLayers(mode, groups)
            bands = data.isochrone_bands(page.path, page.version, settings, mode, selected)
            if len(bands) and drawn:
                groups.append(isochrone_layer(bands, mode, lang))
            values = data.travel_indicators(page.path, page.version, settings, mode, indicators)
            return TravelLayers(mode, groups, values, bool(len(bands)))
    except BordermapError as error:
        st.error(error_text(error, lang))
        return TravelLayers(mode, [])
