"""`bordermap export --reproduce FILE`: identical on an unchanged store; after a layer changes,
which layer, which posts moved and how the shortlist changed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import plain

from mapping.cli import main
from mapping.exports.reproduce import reproduce
from mapping.layers.importing import import_file
from mapping.layers.user_store import open_store

CONDITIONS = ("building", "equipment", "power", "water", "communications", "connectivity")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(tmp_path / "store.gpkg"))
    return open_store(tmp_path / "store.gpkg")


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def export(tmp_path, suffix: str) -> str:
    out = tmp_path / f"export.{suffix}"
    result = run("export", "--budget", "500000", "--reference-date", "2026-06-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    return str(out)


def last_post_in_ruins(store, tmp_path) -> str:
    """Import the posts layer again with the last-ranked post's condition at 0 (ruined)."""
    out = export(tmp_path, "kmz")
    last = max((rank, post) for post, rank in reproduce(out, store).record.ranks.items())[1]
    posts = store.read("posts")
    posts.loc[posts["post_id"] == last, list(CONDITIONS)] = 0
    posts.to_file(tmp_path / "posts.gpkg")
    assert import_file(tmp_path / "posts.gpkg", "posts", store, user="field").version is not None
    return last


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "gpkg", "geojson", "kml", "kmz", "html", "pdf"])
def test_unchanged_store_reproduces_identically(store, tmp_path, suffix):
    out = export(tmp_path, suffix)
    result = run("export", "--reproduce", out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Identical") and "layer versions are those recorded" in result.output


def test_changed_posts_layer_names_the_moved_posts(store, tmp_path):
    out = export(tmp_path, "xlsx")
    before = reproduce(out, store)
    assert before.identical and not before.layers
    ruined = last_post_in_ruins(store, tmp_path)
    name = store.read("posts").set_index("post_id").loc[ruined, "name"]

    after = reproduce(out, store)
    assert not after.identical
    posts_version = after.layers["posts"]
    assert posts_version[0] == before.record.layer_versions["posts"] and posts_version[1] > posts_version[0]
    moved = {m.post_id: m for m in after.moved}
    assert moved[ruined].old_rank == len(before.record.ranks)
    assert moved[ruined].new_rank < moved[ruined].old_rank
    assert moved[ruined].name == name
    assert len(moved) > 1  # the posts it overtook moved down

    result = run("export", "--reproduce", out)
    assert result.exit_code == 1
    text = plain(result.output)
    assert text.startswith("Different")
    assert f"Layer border posts: version {posts_version[0]} at export, {posts_version[1]} now." in text
    assert f"{name} ({ruined}): rank {moved[ruined].old_rank} → {moved[ruined].new_rank}" in text

    french = plain(run("export", "--reproduce", out, "--lang", "fr").output)
    assert french.startswith("Différent") and f"{name} ({ruined}) : rang" in french


def test_shortlist_changes_are_reported(store, tmp_path):
    out = export(tmp_path, "csv")
    recorded = reproduce(out, store).record.shortlist
    posts = store.read("posts")
    chosen = recorded[0]
    posts.loc[posts["post_id"] == chosen, "rehab_cost_usd"] = 10_000_000  # now beyond the budget
    posts.to_file(tmp_path / "posts.gpkg")
    import_file(tmp_path / "posts.gpkg", "posts", store, user="field")
    result = reproduce(out, store)
    assert chosen in result.shortlist_removed and not result.identical
    output = run("export", "--reproduce", out).output
    assert "No longer on the shortlist:" in output and chosen in output


def test_a_file_without_record_cannot_be_reproduced(store, tmp_path):
    stray = tmp_path / "stray.geojson"
    stray.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    result = run("export", "--reproduce", str(stray), "--lang", "fr")
    assert result.exit_code == 2
    assert "ne contient pas d’enregistrement bordermap" in result.output


def test_a_changed_cost_is_a_different_result(store, tmp_path):
    out = export(tmp_path, "xlsx")
    posts = store.read("posts")
    post = posts["post_id"].iloc[0]
    posts.loc[posts["post_id"] == post, "rehab_cost_usd"] = 1.0  # the ranking ignores costs
    posts.to_file(tmp_path / "posts.gpkg")
    assert import_file(tmp_path / "posts.gpkg", "posts", store, user="field").version is not None
    result = run("export", "--reproduce", out)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Different") and f"({post}) changed" in result.output


@pytest.mark.parametrize("suffix", ["xlsx", "gpkg", "geojson", "kml", "kmz", "pdf", "html"])
def test_a_corrupt_file_is_unreadable_not_different(store, tmp_path, suffix):
    garbage = tmp_path / f"garbage.{suffix}"
    garbage.write_bytes(b"\x00\xffPK not an export \xfe" * 20)
    result = run("export", "--reproduce", str(garbage))
    assert result.exit_code == 2, result.output
    assert "garbage" in result.output and "Traceback" not in result.output


def test_a_record_with_a_broken_profile_is_unreadable(store, tmp_path):
    out = export(tmp_path, "csv")
    sidecar = tmp_path / "export.record.json"
    sidecar.write_text(sidecar.read_text().replace('"method": "wsum"', '"method": "magic"'))
    result = run("export", "--reproduce", out)
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_reproducing_against_a_missing_store_is_refused(store, tmp_path):
    out = export(tmp_path, "xlsx")
    typo = tmp_path / "elsewhere" / "stroe.gpkg"
    result = run("export", "--reproduce", out, "--store", str(typo))
    assert result.exit_code == 2 and "no layer store" in result.output
    assert not typo.exists()  # no demo store was made in its place


def test_a_format_that_contradicts_the_file_name_is_refused(store, tmp_path):
    result = run("export", "--format", "xlsx", "--out", str(tmp_path / "odd.dat"))
    assert result.exit_code != 0 and "does not end in .xlsx" in result.output
    assert not (tmp_path / "odd.dat").exists()


def test_a_failed_export_leaves_the_previous_file(store, tmp_path, monkeypatch):
    out = export(tmp_path, "csv")
    before = (tmp_path / "export.csv").read_bytes(), (tmp_path / "export.record.json").read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("mapping.exports.csv_table.pd.DataFrame.to_csv", broken)
    result = run("export", "--budget", "400000", "--out", out)
    assert result.exit_code != 0
    after = (tmp_path / "export.csv").read_bytes(), (tmp_path / "export.record.json").read_bytes()
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
