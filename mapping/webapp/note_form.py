"""The form a delegate fills after clicking the map: who they are, what they saw there. A
signed-in delegate's note records their account's name; the single user of a project without
sign-in types theirs."""

from __future__ import annotations

import geopandas as gpd
import shapely
import streamlit as st

from ..accounts.roles import Permission
from ..errors import BordermapError
from ..i18n import format_number, t
from ..layers.notes import NOTE_KINDS, add_note
from ..maps import nearest_post
from . import data, error_text
from . import viewer as session


def country_at(countries: gpd.GeoDataFrame | None, lon: float, lat: float) -> str | None:
    """The ISO3 code of the country that holds the clicked point, if any."""
    if countries is None or countries.empty:
        return None
    inside = countries[countries.geometry.intersects(shapely.Point(lon, lat))]
    return str(inside["iso3"].iloc[0]) if len(inside) else None


def show(lon: float, lat: float, posts: gpd.GeoDataFrame, countries: gpd.GeoDataFrame | None,
         lang: str, default_country: str | None = None) -> None:
    """The note form for the clicked point; saves the note in the store on submit. The country
    proposed is the one clicked in, else ``default_country`` (the project's)."""
    st.subheader(t("app.note.title", lang))
    st.caption(t("app.note.where", lang, lat=format_number(lat, lang, 5), lon=format_number(lon, lang, 5)))
    names = {} if countries is None else dict(zip(countries["iso3"], countries[f"name_{lang}"], strict=True))
    iso3 = list(names)
    post_ids = list(posts["post_id"])
    post_names = dict(zip(posts["post_id"], posts["name"], strict=True))
    nearest, here = nearest_post(posts, lat, lon), country_at(countries, lon, lat) or default_country
    near = nearest[0] if nearest else None
    viewer = session.current()
    with st.form("note", clear_on_submit=True):
        author = st.text_input(t("app.note.author", lang)) if viewer.local else viewer.name
        organisation = st.text_input(t("app.note.organisation", lang))
        country = st.selectbox(t("app.note.country", lang), iso3, format_func=lambda c: names.get(c, c),
                               index=iso3.index(here) if here in iso3 else None,
                               placeholder=t("app.note.country_none", lang))
        kind = st.radio(t("app.note.kind", lang), NOTE_KINDS,
                        format_func=lambda k: t(f"notes.kinds.{k}", lang))
        place = st.text_input(t("app.note.place", lang))
        post = st.selectbox(t("app.note.post", lang), post_ids, format_func=lambda p: post_names.get(p, p),
                            index=post_ids.index(near) if near in post_ids else 0)
        text = st.text_area(t("app.note.text", lang))
        if not st.form_submit_button(t("app.note.save", lang)):
            return
    try:
        session.current().require(Permission.NOTE)
        add_note(data.store(), author=author, organisation=organisation, country=country or "", kind=kind,
                 text=text, lon=lon, lat=lat, post_id=post if kind == "wrong_position" else "",
                 place=place if kind == "new_crossing" else "")
    except BordermapError as error:
        st.error(error_text(error, lang))
        return
    st.success(t("app.note.saved", lang))
