"""Choosing the posts a ranking covers: by country, by border, or both; unknown codes refused by
name in English and French; the selected posts ranked among themselves (normalised over them)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import plain

from mapping.layers.borders import served_borders
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.scoring.pipeline import rank_store
from mapping.scoring.profile import load_profile
from mapping.scoring.rank import score
from mapping.scoring.selection import Selection, SelectionError, post_borders, with_borders


def table() -> pd.DataFrame:
    """Four posts: two on Mali–Mauritania, one on Mali–Niger, one serving no known border."""
    return pd.DataFrame({"iso3": ["MRT", "MLI", "MLI", "NER"],
                         "border_id": ["MLI-MRT", "MLI-MRT", "MLI-NER", None],
                         "pop": [1.0, 2.0, 3.0, 4.0]},
                        index=pd.Index(["A", "B", "C", "D"], name="post_id"))


def test_codes_are_read_as_users_write_them():
    chosen = Selection.of(["mli", " MRT,mli "], ["MRT-MLI", "mli-ner,MLI-MRT"])
    assert chosen == Selection(("MLI", "MRT"), ("MLI-MRT", "MLI-NER"))
    assert Selection.from_dict(chosen.to_dict()) == chosen
    assert Selection.of().everything and not chosen.everything


@pytest.mark.parametrize(("countries", "borders", "code", "shown"), [
    (["Mali"], [], "bad_country", "Mali"), ([], ["MLI"], "bad_border", "MLI"),
    ([], ["MLI-MLI"], "bad_border", "MLI-MLI"),
])
def test_malformed_codes_are_refused_by_name(countries, borders, code, shown):
    with pytest.raises(SelectionError) as caught:
        Selection.of(countries, borders)
    assert caught.value.code == code
    english, french = caught.value.message("en"), plain(caught.value.message("fr"))
    assert f"“{shown}”" in english and f"« {shown} »" in french


def test_countries_and_borders_narrow_each_other():
    posts = table()
    served = post_borders(posts)
    assert list(Selection.of(["MLI"]).apply(posts, served).index) == ["B", "C"]
    assert list(Selection.of([], ["MLI-MRT"]).apply(posts, served).index) == ["A", "B"]
    assert list(Selection.of(["MLI"], ["MLI-MRT"]).apply(posts, served).index) == ["B"]
    assert Selection().apply(posts, served) is posts  # nothing chosen: every post


def test_unknown_codes_name_the_code_and_those_that_exist():
    posts = table()
    with pytest.raises(SelectionError) as caught:
        Selection.of(["TCD"]).apply(posts, post_borders(posts))
    assert caught.value.code == "unknown_country"
    assert "“TCD”" in caught.value.message("en") and "MLI, MRT, NER" in caught.value.message("en")
    assert "« TCD »" in plain(caught.value.message("fr")) and "Pays des postes" in caught.value.message("fr")
    with pytest.raises(SelectionError) as caught:
        Selection.of([], ["BFA-NER"]).apply(posts, post_borders(posts), known_borders=["MLI-SEN"])
    assert caught.value.code == "unknown_border"
    assert "MLI-MRT, MLI-NER, MLI-SEN" in caught.value.message("en")
    assert "Il n’y a pas de frontière « BFA-NER »" in plain(caught.value.message("fr"))


def test_a_known_border_that_no_post_serves_says_so():
    posts = table()
    with pytest.raises(SelectionError) as caught:
        Selection.of([], ["MLI-SEN"]).apply(posts, post_borders(posts), known_borders=["MLI-SEN"])
    assert caught.value.code == "no_posts_on_borders" and "MLI-SEN" in caught.value.message("en")
    with pytest.raises(SelectionError) as caught:
        Selection.of(["MRT"], ["MLI-NER"]).apply(posts, post_borders(posts))
    assert caught.value.code == "no_posts_of_countries_on_borders"
    assert "Aucun poste de MRT ne dessert la frontière MLI-NER" in plain(caught.value.message("fr"))


def test_the_border_of_a_post_comes_from_the_column_or_from_served_borders(borders):
    posts = gpd.GeoDataFrame({"post_id": ["N", "S", "far"], "iso3": ["MRT", "MLI", "MLI"]},
                             geometry=[shapely.Point(-9.4, 15.7), shapely.Point(-9.4, 15.3),
                                       shapely.Point(-9.4, 12.0)], crs="EPSG:4326")
    indicators = pd.DataFrame({"iso3": ["MLI", "MRT", "MLI"]},
                              index=pd.Index(["S", "N", "far"], name="post_id"))
    found = post_borders(indicators, posts, borders)
    expected = served_borders(posts, borders).set_axis(posts["post_id"]).reindex(indicators.index)
    assert list(found) == ["MLI-MRT", "MLI-MRT", None]
    assert list(found[:2]) == list(expected[:2])
    indicators.attrs["units"] = {"pop": "persons"}
    added = with_borders(indicators, posts, borders)
    assert list(added["border_id"]) == ["MLI-MRT", "MLI-MRT", None] and added.attrs == indicators.attrs
    column = indicators.assign(border_id=["X-Y", None, None])  # a table that has the column is believed
    assert list(post_borders(column, posts, borders)) == ["X-Y", None, None]


def test_one_border_is_ranked_among_its_own_posts(store_copy):
    """Scores of the selected posts are normalised over them alone: the same as ranking a table
    of only those posts, not a slice of the regional ranking."""
    store, profile = GeoPackageStore(store_copy), load_profile(None)
    everything, regional = rank_store(store, profile)
    chosen = Selection.of([], ["MLI-MRT"])
    table_one, one = rank_store(store, profile, selection=chosen)
    posts = store.read("posts")
    served = served_borders(posts, store.read("borders")).set_axis(posts["post_id"])
    assert set(table_one.index) == set(served.index[served == "MLI-MRT"])
    assert set(everything.index) - set(table_one.index)  # the demo has a post on another border
    alone = score(everything.loc[table_one.index], profile)
    pd.testing.assert_series_equal(one.table["score"], alone.table["score"])
    slice_of_regional = regional.table["score"].reindex(one.table.index)
    assert not (slice_of_regional - one.table["score"]).abs().lt(1e-12).all()
    assert (one.table["border_id"] == "MLI-MRT").all()
