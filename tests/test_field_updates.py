"""Field teams update part of a layer: a KoboToolbox export of 8 of the 16 demo posts with a few
columns is an update that keeps everything it leaves out; a replacement that would remove most
posts needs consent; an unknown field id with the name of a stored post nearby is matched only
when asked. Run through the ``bordermap`` command, in English and French, on the demo store."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from mapping.cli import main
from mapping.layers.importing import import_file
from mapping.layers.schema import KINDS
from mapping.layers.store import CommitInfo, StoreError
from mapping.layers.update import merge_update, name_matches
from mapping.layers.user_store import open_store

FIELD_POSTS = ["MRT-KOB", "MRT-ADB", "MRT-FAS", "MRT-BSK", "MLI-NIO", "MLI-NAR", "MRT-SEL", "MRT-KNK"]


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "store.gpkg")


def run(store, *args: str, lang: str = "en"):
    result = CliRunner().invoke(main, [*args, "--store", str(store.path), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def kobo_export(store, path, ids=FIELD_POSTS, extra_rows: list[dict] | None = None, building: int = 1):
    """A KoboToolbox CSV (";", group paths, metadata columns, ISO 8601 date-times) of a post
    assessment form: the post's id and name, two condition scores (``building``, power 2) and the
    assessment date, at the GPS position of the post; Kobo's ``start`` is a day after the
    assessment date of the form."""
    posts = store.read("posts").set_index("post_id").loc[ids]
    rows = [{
        "start": "2025-03-03T09:14:00.000+00:00", "end": "2025-03-03T09:31:12.412+00:00",
        "today": "2025-03-03", "deviceid": "collect:abc123",
        "grp_poste/identifiant": post_id, "grp_poste/nom_poste": record["name"],
        "grp_etat/batiment": str(building), "grp_etat/electricite": "2",
        "grp_poste/date_evaluation": "2025-03-02",
        "_gps_latitude": f"{record.geometry.y:.6f}", "_gps_longitude": f"{record.geometry.x:.6f}",
        "_gps_altitude": "0", "_gps_precision": "4.5",
        "_id": str(1000 + i), "_uuid": f"uuid-{i}", "_submission_time": "2025-03-03T10:02:11",
        "_validation_status": "", "_index": str(i + 1),
    } for i, (post_id, record) in enumerate(posts.iterrows())]
    frame = pd.DataFrame(rows + (extra_rows or []))
    frame.to_csv(path, sep=";", index=False)
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_kobo_export_of_part_of_the_posts_updates_them_and_keeps_the_rest(store, tmp_path):
    before = store.read("posts").set_index("post_id")
    path = kobo_export(store, tmp_path / "evaluation_postes.csv")
    result = run(store, "layers", "import", str(path), "--kind", "posts", "--update", "--user", "A. Diallo")
    assert result.exit_code == 0, result.output
    after = store.read("posts").set_index("post_id")
    assert sorted(after.index) == sorted(before.index)  # 16 posts: none vanished
    field = after.loc[FIELD_POSTS]
    assert (field["building"] == 1).all() and (field["power"] == 2).all()
    assert (field["last_assessed"] == pd.Timestamp("2025-03-02")).all()  # the form's date, not Kobo's start
    kept = ["equipment", "water", "communications", "connectivity", "staff", "rehab_cost_usd", "status",
            "iso3"]
    pd.testing.assert_frame_equal(field[kept], before.loc[FIELD_POSTS, kept])  # columns left out stay
    others = [p for p in before.index if p not in FIELD_POSTS]
    pd.testing.assert_frame_equal(after.loc[others].drop(columns="geometry"),
                                  before.loc[others].drop(columns="geometry"))
    version = store.history()[-1]
    assert (version.action, version.user, version.removed) == ("update", "A. Diallo", [])
    assert sorted(version.changed) == sorted(FIELD_POSTS)


def test_the_diff_of_an_update_lists_the_columns_that_change_and_what_stays(store, tmp_path):
    path = kobo_export(store, tmp_path / "kobo.csv")
    before = digest(store.path)
    result = run(store, "layers", "diff", str(path), "--kind", "posts", "--update", "--format", "json")
    change = json.loads(result.output)["diff"]
    unchanged = len(store.read("posts")) - len(FIELD_POSTS)
    assert change["removed"] == [] and change["added"] == [] and change["unchanged"] == unchanged
    assert "building" in change["columns"]["MRT-KOB"] and "equipment" not in change["columns"]["MRT-KOB"]
    text = run(store, "layers", "diff", str(path), "--kind", "posts", "--update", lang="fr").output
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    assert f"{unchanged} entités enregistrées restent inchangées" in text
    assert digest(store.path) == before  # a diff changes nothing


def test_a_replacement_that_would_remove_most_posts_needs_consent(store, tmp_path):
    path = tmp_path / "posts.geojson"
    store.read("posts").set_index("post_id").loc[FIELD_POSTS[:7]].reset_index().to_file(path)  # 9 go
    before = digest(store.path)
    refused = run(store, "layers", "import", str(path), "--kind", "posts")
    assert refused.exit_code == 1 and "--update" in refused.output and "--allow-removals" in refused.output
    assert digest(store.path) == before
    done = run(store, "layers", "import", str(path), "--kind", "posts", "--allow-removals")
    assert done.exit_code == 0 and len(store.read("posts")) == 7  # replaced, as consented


def test_an_unknown_field_id_is_matched_by_name_only_when_asked(store, tmp_path):
    stored = store.read("posts").set_index("post_id")
    kobenni = stored.loc["MRT-KOB"].geometry
    new_row = {"grp_poste/identifiant": "MRT-K-07", "grp_poste/nom_poste": "KOBENNI",
               "grp_etat/batiment": "0", "grp_poste/date_evaluation": "2025-03-04T16:00:00Z",
               "_gps_latitude": f"{kobenni.y + 0.004:.6f}", "_gps_longitude": f"{kobenni.x:.6f}"}
    path = kobo_export(store, tmp_path / "kobo.csv", ids=["MRT-ADB"], extra_rows=[new_row])
    proposed = run(store, "layers", "diff", str(path), "--kind", "posts", "--update")
    assert "name_match" in proposed.output and "MRT-KOB" in proposed.output
    assert "--match-names" in proposed.output
    assert "added: MRT-K-07" in proposed.output
    result = run(store, "layers", "import", str(path), "--kind", "posts", "--update", "--match-names")
    assert result.exit_code == 0, result.output
    after = store.read("posts").set_index("post_id")
    assert "MRT-K-07" not in after.index and after.loc["MRT-KOB", "building"] == 0
    assert after.loc["MRT-KOB", "last_assessed"] == pd.Timestamp("2025-03-04")
    assert 'matched_name:["MRT-K-07", "MRT-KOB"]' in store.history()[-1].fixes


def test_matched_ids_are_renamed_in_the_references_too(store, tmp_path):
    kobenni = store.read("posts").set_index("post_id").loc["MRT-KOB"].geometry
    rows = [{"grp_poste/identifiant": "MRT-K-07", "grp_poste/nom_poste": "Kobenni", "facing": "",
             "_gps_latitude": f"{kobenni.y:.6f}", "_gps_longitude": f"{kobenni.x:.6f}"},
            {"grp_poste/identifiant": "MLI-NIO", "grp_poste/nom_poste": "Nioro du Sahel",
             "facing": "MRT-K-07"}]
    path = tmp_path / "kobo.csv"
    pd.DataFrame(rows).rename(columns={"facing": "poste_en_face"}).to_csv(path, sep=";", index=False)
    result = run(store, "layers", "import", str(path), "--kind", "posts", "--update", "--match-names")
    assert result.exit_code == 0, result.output
    assert store.read("posts").set_index("post_id").loc["MLI-NIO", "facing_post_id"] == "MRT-KOB"


def test_a_new_post_in_an_update_needs_its_required_values(store, tmp_path):
    new_row = {"grp_poste/identifiant": "MRT-NEW", "grp_poste/nom_poste": "Nouveau",
               "_gps_latitude": "15.5", "_gps_longitude": "-8.5"}
    path = kobo_export(store, tmp_path / "kobo.csv", ids=["MRT-ADB"], extra_rows=[new_row])
    result = run(store, "layers", "validate", str(path), "--kind", "posts", "--format", "json")
    assert result.exit_code == 1  # as a replacement, iso3 and status are missing for every post
    diff = json.loads(run(store, "layers", "diff", str(path), "--kind", "posts", "--update",
                          "--format", "json").output)
    missing = {(f["feature_id"], f["code"]) for f in diff["findings"] if f["severity"] == "error"}
    assert missing == {("MRT-NEW", "missing_value")}  # only the new post lacks iso3 and status


def test_merge_keeps_stored_values_where_the_file_is_empty():
    posts = KINDS["posts"]
    stored = gpd.GeoDataFrame({"post_id": ["A", "B"], "name": ["Alpha", "Beta"], "staff": [3, 4]},
                              geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4326)
    incoming = gpd.GeoDataFrame({"post_id": ["B", "C"], "name": [None, "Gamma"], "staff": [7, 1]},
                                geometry=[None, shapely.Point(2, 2)], crs=4326)
    merged = merge_update(stored, incoming, ("post_id", "name", "staff"), posts)
    assert list(merged["post_id"]) == ["A", "B", "C"]
    assert list(merged["name"]) == ["Alpha", "Beta", "Gamma"] and list(merged["staff"]) == [3, 7, 1]
    assert merged.geometry.iloc[1].equals(shapely.Point(1, 1))  # no position in the file: kept


def test_name_matches_are_near_unclaimed_and_one_to_one():
    posts = KINDS["posts"]
    stored = gpd.GeoDataFrame({"post_id": ["A", "B"], "name": ["Gogui", "Nara"],
                               "facing_post_id": [None, None]},
                              geometry=[shapely.Point(-9.35, 15.36), shapely.Point(-7.29, 15.17)], crs=4326)
    incoming = gpd.GeoDataFrame({"post_id": ["X1", "X2", "B"], "name": ["gogui ", "Gogui", "Nara"],
                                 "facing_post_id": ["X1", None, "X1"]},
                                geometry=[shapely.Point(-9.355, 15.36), shapely.Point(-9.35, 15.361),
                                          shapely.Point(-7.29, 15.17)], crs=4326)
    matches = name_matches(incoming, stored, posts)
    assert [(m.file_id, m.stored_id) for m in matches] == [("X1", "A")]  # one stored post, one match
    assert 500 < matches[0].distance_m < 1000
    far = incoming.assign(geometry=[shapely.Point(-9.45, 15.36)] * 3)
    assert name_matches(far.iloc[:1], stored, posts) == []  # 10 km away: another place


def test_an_update_keeps_what_another_user_committed_meanwhile(store, tmp_path):
    path = kobo_export(store, tmp_path / "kobo.csv", ids=["MRT-ADB"])
    other = store.read("posts").iloc[[0]].assign(post_id="ZZZ-1", name="Poste ajouté entre-temps")

    def someone_else_commits(step: str) -> None:
        if step == "commit":  # after this import read the store, before it takes the lock
            merged = pd.concat([store.read("posts"), other], ignore_index=True)
            store.commit_layer("posts", gpd.GeoDataFrame(merged, crs=4326), CommitInfo("B"))

    result = import_file(path, "posts", store, "A", update=True, progress=someone_else_commits)
    assert result.version is not None and result.version.removed == []
    assert "ZZZ-1" in set(store.read("posts")["post_id"])


def test_a_replacement_removing_features_nobody_saw_is_refused(store, tmp_path):
    seven = tmp_path / "posts.geojson"
    store.read("posts").set_index("post_id").loc[FIELD_POSTS[:7]].reset_index().to_file(seven)
    seen = set(store.ids("posts")) - set(FIELD_POSTS[:7])
    other = store.read("posts").iloc[[0]].assign(post_id="ZZZ-1")
    store.commit_layer("posts", gpd.GeoDataFrame(pd.concat([store.read("posts"), other]), crs=4326),
                       CommitInfo("B"))  # after the user looked at the diff
    before = digest(store.path)
    with pytest.raises(StoreError) as refused:
        import_file(seven, "posts", store, "A", allow_removals=True, removals=seen)
    assert refused.value.code == "changed_meanwhile" and digest(store.path) == before
