"""`bordermap score | sensitivity | shortlist | export` for one border or some countries, with
shortlist limits per border, and `--reproduce` applying the recorded selection again."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import plain

from mapping.cli import main
from mapping.exports.reproduce import read_record
from mapping.layers.borders import served_borders
from mapping.layers.gpkg_store import GeoPackageStore


@pytest.fixture
def store(store_copy, monkeypatch) -> GeoPackageStore:
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    return GeoPackageStore(store_copy)


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def served(store: GeoPackageStore) -> pd.Series:
    posts = store.read("posts")
    return served_borders(posts, store.read("borders")).set_axis(posts["post_id"])


def test_score_one_border_ranks_only_the_posts_serving_it(store, tmp_path):
    out = tmp_path / "ranking.csv"
    result = run("score", "--border", "MRT-MLI", "--out", out)  # either order
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    border = served(store)
    on_border = set(border.index[border == "MLI-MRT"])
    assert set(table["post_id"]) <= on_border and len(table) >= len(on_border) - 2  # closed/planned left out
    assert (table["border_id"] == "MLI-MRT").all()
    assert sorted(table["rank"].dropna()) == list(range(1, int(table["rank"].max()) + 1))
    assert set(border.index[border != "MLI-MRT"]).isdisjoint(table["post_id"])


def test_score_by_country_with_a_comma_list_and_repeated_options(store, tmp_path):
    out = tmp_path / "ranking.csv"
    assert run("score", "--country", "mrt", "--country", "MRT,MRT", "--out", out).exit_code == 0
    assert set(pd.read_csv(out, encoding="utf-8-sig")["iso3"]) == {"MRT"}


@pytest.mark.parametrize(("args", "english", "french"), [
    (["--border", "MLI-XXX"], ["no border “MLI-XXX”", "MLI-MRT", "MRT-SEN"],
     ["Il n’y a pas de frontière « MLI-XXX »"]),
    (["--country", "SEN"], ["country “SEN”", "BFA, MLI, MRT, NER, TCD"],
     ["pays « SEN »", "BFA, MLI, MRT, NER, TCD"]),
    (["--border", "DZA-MLI"], ["No post serves the border DZA-MLI"],
     ["Aucun poste ne dessert la frontière DZA-MLI"]),
    (["--border", "Mali"], ["“Mali” is not a border"], ["« Mali » n’est pas une frontière"]),
])
def test_unknown_codes_are_refused_in_both_languages(store, args, english, french):
    for lang, parts in (("en", english), ("fr", french)):
        result = run("score", *args, "--lang", lang)
        assert result.exit_code == 1
        for part in parts:
            assert part in plain(result.output), result.output


def test_shortlist_of_one_country_with_a_maximum_per_border(store, tmp_path):
    out = tmp_path / "shortlist.csv"
    free = run("shortlist", "--country", "MRT", "--budget", "2000000", "--out", out)
    assert free.exit_code == 0, free.output
    chosen = pd.read_csv(out, encoding="utf-8-sig")
    assert (chosen["border_id"] == "MLI-MRT").sum() > 2
    result = run("shortlist", "--country", "MRT", "--budget", "2000000", "--max-per-border", "MRT-MLI=2",
                 "--min-per-border", "MRT-SEN=1", "--out", out)
    assert result.exit_code == 0, result.output
    chosen = pd.read_csv(out, encoding="utf-8-sig")
    assert set(chosen["iso3"]) == {"MRT"}
    assert (chosen["border_id"] == "MLI-MRT").sum() == 2 and (chosen["border_id"] == "MRT-SEN").sum() >= 1


def test_border_limits_refused_by_name(store, tmp_path):
    out = tmp_path / "shortlist.csv"
    result = run("shortlist", "--budget", "1000000", "--max-per-border", "MLI-MRT", "--out", out,
                 "--lang", "fr")
    assert result.exit_code == 1 and "AAA-BBB=N" in result.output and "MLI-MRT=2" in result.output
    result = run("shortlist", "--budget", "1000000", "--min-per-border", "DZA-MLI=1", "--out", out)
    assert result.exit_code == 1 and "“DZA-MLI”" in result.output and "MLI-MRT, MLI-NER" in result.output
    zero = run("shortlist", "--budget", "1000000", "--max-per-border", "DZA-MLI=0",
               "--max-per-country", "SEN=0", "--out", out)
    assert zero.exit_code == 0, zero.output  # a zero limit on a border or country with no posts asks nothing


def test_sensitivity_of_one_border(store, tmp_path):
    out = tmp_path / "intervals.csv"
    result = run("sensitivity", "--border", "NER-TCD", "--samples", "50", "--top", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out, encoding="utf-8-sig")["post_id"]) == ["NER-NGG"]  # N'Guigmi alone


@pytest.mark.parametrize("suffix", ["xlsx", "html"])
def test_an_export_records_its_selection_and_reproduces_it(store, tmp_path, suffix):
    out = tmp_path / f"export.{suffix}"
    result = run("export", "--border", "MLI-MRT", "--country", "MRT", "--budget", "800000",
                 "--max-per-border", "MLI-MRT=2", "--reference-date", "2026-06-01", "--out", out)
    assert result.exit_code == 0, result.output
    record = read_record(out)
    assert (record.countries, record.borders) == (["MRT"], ["MLI-MRT"])
    assert record.max_per_border == {"MLI-MRT": 2} and len(record.shortlist) == 2
    assert set(record.ranks) <= set(served(store).pipe(lambda s: s.index[s == "MLI-MRT"]))
    again = run("export", "--reproduce", out)
    assert again.exit_code == 0, again.output  # the same filter and limits, so the same result
    assert "appeared" not in again.output.lower()
