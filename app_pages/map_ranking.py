"""Map & ranking: the posts on the map coloured by rank, the ranking table, a post's profile,
scenarios side by side, and how robust the ranking is to the weights."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping.accounts.roles import Permission
from mapping.errors import BordermapError
from mapping.i18n import format_percent, t
from mapping.i18n.quantities import format_quantity
from mapping.layers.store import LayerStore
from mapping.maps import fit_view, layer_control, post_at, posts_layer
from mapping.protection.grid import CELL_KM
from mapping.scoring.explain import label
from mapping.scoring.profile import Profile
from mapping.scoring.scenarios import compare, rank_change_marks, save_scenario, scenarios
from mapping.webapp import (
    charts,
    data,
    error_text,
    md_text,
    note_form,
    post_panel,
    project_ui,
    tables,
    travel_map,
)
from mapping.webapp.choices import choose, open_tab, set_choice
from mapping.webapp.viewer import current

ONLINE_TILES = "OpenStreetMap"
POST_ZOOM = 10
CURRENT = ""  # the scenario key of the sidebar's current weights
MAP_HEIGHT = {False: 560, True: 720}  # pixels: beside the profile, or across the page (presentation)

ctx = data.page()
lang, profile = ctx.lang, ctx.profile
viewer = current()
project = data.project(ctx.path, ctx.version)
project_ui.title(project, lang)
posts = project_ui.require_posts(data.layer(ctx.path, ctx.version, "posts"), lang)
ranking, results = data.ranking_or_stop(ctx)
indicators = data.shown_indicator_table(ctx.path, ctx.version, profile)
posts = posts[posts["post_id"].isin(results.index)]  # the posts of the sidebar's countries and borders
ranked = results[results["rank"].notna()]
names = dict(zip(posts["post_id"], posts["name"], strict=False))

if not ctx.selection.everything:
    chosen = ctx.selection.describe(lang, data.country_names(ctx.path, ctx.version, lang))
    st.caption(md_text(t("selection.normalised", lang, selection=chosen)))
if ranking.empty_criteria:
    st.warning(t("profile.empty_criteria", lang,
                 criteria=", ".join(label(c, lang) for c in ranking.empty_criteria)))


def _select_from_map() -> None:
    """A click on a post's symbol chooses that post (clicks elsewhere choose nothing)."""
    clicked = (st.session_state.get("map") or {}).get("last_object_clicked")
    post = post_at(posts, clicked["lat"], clicked["lng"]) if clicked else None
    if post is not None:
        set_choice("post", post)


with st.expander(t("app.map_options", lang)):
    settings = st.columns(4)
    st.session_state.setdefault("opacity", 60)
    opacity = settings[0].slider(t("app.opacity", lang), 0, 100, step=5, key="opacity") / 100
    # no request leaves the laptop unless the project enables online tiles (bordermap project set)
    online = project.settings.online_tiles and settings[1].toggle(
        t("app.online_tiles", lang), key="online_tiles", help=t("app.online_tiles_help", lang))
    noting = viewer.may(Permission.NOTE) and settings[2].toggle(t("app.note_mode", lang), key="note_mode",
                                                                help=t("app.note_mode_help", lang))
    presenting = settings[3].toggle(t("app.presentation", lang), key="presentation",
                                    help=t("app.presentation_help", lang))
    travelling = travel_map.controls(profile, lang)

choices = {"": "—"} | {str(p): f"{r}. {names.get(p, p)}" for p, r in ranked["rank"].items()} | {
    str(p): names.get(p, p) for p in results.index.difference(ranked.index)}
selected = choose(st.selectbox, t("app.choose_post", lang), list(choices), "post", choices.__getitem__,
                  help=t("app.choose_post_help", lang))
map_area, panel = (st.container(), st.container()) if presenting else st.columns([3, 2])
with map_area:
    fmap = data.base(ctx.path, ctx.version, lang, opacity, ONLINE_TILES if online else None)
    point = posts.loc[posts["post_id"] == selected, "geometry"]
    located = bool(selected) and len(point) > 0 and point.iloc[0] is not None
    framed = posts[posts["post_id"].isin(results.index) & posts.geometry.notna()]
    if not located and not ctx.selection.everything and len(framed):  # the chosen countries or borders
        fit_view(fmap, tuple(framed.total_bounds))
    group = posts_layer(posts, lang, ranked["rank"].astype(int).to_dict(), selected or None,
                        profile.indicator_settings.get("radius_km", 20))
    access = travel_map.layers(ctx, travelling, selected or None, names, indicators) if travelling else None
    groups = [*(access.groups if access else []), group]  # the areas behind the posts
    # streamlit-folium reads the events to return when the map is first drawn: note mode draws
    # the map anew (its own key), returning any click; otherwise only clicks on symbols return
    event = st_folium(fmap, key="map_note" if noting else "map", height=MAP_HEIGHT[presenting],
                      use_container_width=True, feature_group_to_add=groups,
                      layer_control=layer_control(),
                      center=(point.iloc[0].y, point.iloc[0].x) if located else None,
                      zoom=POST_ZOOM if located else None,
                      returned_objects=["last_clicked"] if noting else ["last_object_clicked"],
                      on_change=None if noting else _select_from_map)
    if data.limited(ctx.path, viewer):
        st.caption(t("protection.coarse_note", lang, cell=CELL_KM))
with panel:
    click = (event or {}).get("last_clicked") if noting else None
    if click:
        countries = data.layer(ctx.path, ctx.version, "countries")
        note_form.show(click["lng"], click["lat"], posts, countries, lang, project.note_country)
    elif noting:
        st.info(t("app.note.click", lang))
    if selected:
        intervals = data.intervals(ctx.path, ctx.version, profile, ctx.selection) \
            if st.session_state.get("robustness") else None
        post_panel.show(selected, ranking, results, indicators, posts, intervals, lang)
        if access is not None and access.values is not None:
            post_panel.travel_times(selected, access.values, access.mode, access.placed, lang)
    elif not noting:
        st.info(t("app.choose_hint", lang))


def ranking_tab() -> None:
    listed = ranked.head(data.TABLE_ROWS)
    tables.text_table(pd.DataFrame({
        t("app.col.rank", lang): listed["rank"].astype(int),
        t("app.col.name", lang): listed["name"],
        t("app.col.country", lang): listed["iso3"],
        t("app.col.score", lang): [format_quantity(v, "score", lang) for v in listed["score"]],
        t("app.col.explanation", lang): listed["explanation"],
    }))
    if len(ranked) > len(listed):
        st.caption(t("app.table_top", lang, shown=len(listed), total=len(ranked)))
    left_out = results[results["rank"].isna()]
    if len(left_out):
        reasons = [f"{md_text(n)} ({md_text(r)})" for n, r in zip(left_out["name"], left_out["excluded"],
                                                                   strict=True)]
        st.caption(t("app.excluded", lang, posts="; ".join(reasons)))


def save_form(store: LayerStore) -> None:
    """Save the sidebar's weights as a scenario, under a name (with the account's name, or the
    name typed on a project without sign-in)."""
    with st.form("save_scenario", clear_on_submit=True):
        cols = st.columns([2, 2, 1])
        name = cols[0].text_input(t("app.scenario_name", lang))
        author = cols[1].text_input(t("app.note.author", lang)) if viewer.local else viewer.name
        if cols[2].form_submit_button(t("app.scenario_save", lang)):
            try:
                current().require(Permission.SCORE)
                saved_as = save_scenario(store, name, profile, author)
                st.success(t("app.scenario_saved", lang, name=md_text(saved_as.name)))
            except BordermapError as error:
                st.error(error_text(error, lang))


def scenarios_tab() -> None:
    store = data.store()
    if viewer.may(Permission.SCORE):
        save_form(store)
    saved = scenarios(store)

    options = [CURRENT, *saved]
    if len(options) < 2:
        st.info(t("app.scenario_hint", lang))
        return

    def scenario_label(key: str) -> str:
        return t("app.current_weights", lang) if key == CURRENT else key

    def scenario_profile(key: str) -> Profile:
        return profile if key == CURRENT else saved[key].profile

    pick = st.columns(2)
    with pick[0]:
        first = str(choose(st.selectbox, t("app.scenario_a", lang), options, "scenario_a", scenario_label,
                           default=options[1]))
    with pick[1]:
        second = str(choose(st.selectbox, t("app.scenario_b", lang), options, "scenario_b", scenario_label,
                            default=CURRENT))
    weights = pd.DataFrame({scenario_label(k): pd.Series({c.indicator: c.weight
                                                          for c in scenario_profile(k).criteria})
                            for k in dict.fromkeys((first, second))}).fillna(0)
    weights.index = [label(i, lang).capitalize() for i in weights.index]
    tables.text_table(weights.map(lambda w: format_percent(w, lang)), hide_index=False)
    diff = compare(data.ranked(ctx.path, ctx.version, scenario_profile(first), lang, ctx.selection)[0],
                   data.ranked(ctx.path, ctx.version, scenario_profile(second), lang, ctx.selection)[0])
    tables.text_table(pd.DataFrame({
        t("app.col.name", lang): diff["name"],
        t("app.col.country", lang): diff["iso3"],
        t("app.col.rank_in", lang, scenario=scenario_label(first)): diff["rank_a"].astype("Int64"),
        t("app.col.rank_in", lang, scenario=scenario_label(second)): diff["rank_b"].astype("Int64"),
        t("app.col.change", lang): rank_change_marks(diff["change"]),
    }))


def robustness_tab() -> None:
    st.caption(t("app.robustness_help", lang, top=profile.top_n))
    if st.toggle(t("app.robustness_show", lang), key="robustness"):
        spans = data.intervals(ctx.path, ctx.version, profile, ctx.selection).join(ranked[["name", "rank"]])
        labels = [f"{int(r)}. {n}" for r, n in zip(spans["rank"], spans["name"], strict=True)]
        spans = spans.assign(label=labels, p_top=spans["p_top_n"] * 100)
        st.altair_chart(charts.rank_intervals(spans, t("app.rank_axis", lang),
                                              t("app.p_top_axis", lang, top=profile.top_n), lang),
                        width="stretch")


# only the open tab runs: a weight change recomputes no comparison or chart that nobody sees
TABS = {"ranking": ranking_tab, "scenarios": scenarios_tab, "robustness": robustness_tab}
opened, tab_containers = open_tab({tab: t(f"app.{tab}", lang) for tab in TABS}, "map_tab")
with tab_containers[opened]:
    TABS[opened]()
