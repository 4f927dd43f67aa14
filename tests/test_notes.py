"""Delegate notes and scenarios kept in the store: saved with author and time, accepted only
through the validated import (so versioned), refused without changing anything when the
change would not validate, and never lost by a layer commit."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from mapping.layers import gpkg_store
from mapping.layers import notes as notes_module
from mapping.layers.notes import NoteError, accept_note, add_note, dismiss_note, notes
from mapping.layers.store import CommitInfo, StoreFailedError
from mapping.layers.user_store import open_store
from mapping.scoring.pipeline import rank_store
from mapping.scoring.profile import load_profile
from mapping.scoring.rank import score
from mapping.scoring.scenarios import ScenarioError, compare, rank_change_marks, save_scenario, scenarios


@pytest.fixture
def store(store_copy):
    return open_store(store_copy)


def test_a_note_keeps_its_author_time_and_text_as_typed(store):
    note = add_note(store, author=" A. Diallo ", organisation="DGSN", country="mrt", kind="other",
                    text="=HYPERLINK(\"x\") <b>piste</b>", lon=-9.5, lat=15.4)
    (saved,) = notes(store)
    assert saved == note
    assert (saved.author, saved.country, saved.status) == ("A. Diallo", "MRT", "open")
    assert saved.text == "=HYPERLINK(\"x\") <b>piste</b>"  # stored as typed; escaped where shown
    assert saved.created.endswith("+00:00")


@pytest.mark.parametrize("change, code", [({"author": " "}, "no_author"), ({"text": ""}, "no_text"),
                                          ({"lat": 95.0}, "bad_position"), ({"kind": "x"}, "bad_kind"),
                                          ({"kind": "wrong_position"}, "no_post")])
def test_an_incomplete_note_is_refused_with_a_message(store, change, code):
    fields = {"author": "A", "organisation": "", "country": "MLI", "kind": "other", "text": "t",
              "lon": -9.0, "lat": 15.0} | change
    with pytest.raises(NoteError) as error:
        add_note(store, **fields)
    assert error.value.code == code and error.value.message("fr")
    assert notes(store) == []


def test_a_moved_post_is_a_new_version_and_the_note_is_closed(store):
    post = store.read("posts").iloc[0]
    target = (post.geometry.x + 0.01, post.geometry.y)
    note = add_note(store, author="B", organisation="", country="MRT", kind="wrong_position",
                    text="le poste est 1 km à l’est", lon=target[0], lat=target[1], post_id=post["post_id"])
    decided, result = accept_note(store, note.note_id, "GIS")
    assert decided.status == "accepted" and decided.version == result.version.version
    moved = store.read("posts").set_index("post_id").loc[post["post_id"]].geometry
    assert (moved.x, moved.y) == pytest.approx(target)
    assert store.history()[-1].changed == [post["post_id"]]
    with pytest.raises(NoteError):
        accept_note(store, note.note_id, "GIS")  # already decided


def test_the_import_findings_of_an_accepted_note_are_shown(store):
    post = store.read("posts").iloc[0]
    far_away = add_note(store, author="C", organisation="", country="MRT", kind="wrong_position",
                        text="?", lon=40.0, lat=-30.0, post_id=post["post_id"])  # far outside the Sahel
    decided, result = accept_note(store, far_away.note_id, "GIS")
    assert decided is not None  # a warning does not block, but GIS staff are shown it
    assert "outside_study_area" in {f.code for f in result.findings}


def test_a_note_about_a_post_no_longer_stored_changes_nothing(store):
    posts = store.read("posts")
    note = add_note(store, author="C", organisation="", country="MRT", kind="wrong_position",
                    text="?", lon=-9.0, lat=15.2, post_id="MRT-GONE")
    before = store.history()
    with pytest.raises(NoteError) as error:
        accept_note(store, note.note_id, "GIS")
    assert error.value.code == "unknown_post"
    assert store.history() == before and store.read("posts").equals(posts)
    assert notes(store)[0].status == "open"


def moved_post_note(store):
    """An open note moving the first stored post 0.01° east."""
    post = store.read("posts").iloc[0]
    return add_note(store, author="B", organisation="", country="MRT", kind="wrong_position",
                    text="plus à l’est", lon=post.geometry.x + 0.01, lat=post.geometry.y,
                    post_id=post["post_id"])


def test_a_failure_between_the_layer_and_the_note_changes_neither(store, monkeypatch):
    """The moved post and the note marked accepted are one transaction: when the second write
    fails (disk full, killed), the layer is as it was and the note is still open."""
    note = moved_post_note(store)
    before, layer = store.history(), store.read("posts")

    def disk_full(*args) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(gpkg_store, "_ensure_records_table", disk_full)  # the note's write
    with pytest.raises(StoreFailedError):
        accept_note(store, note.note_id, "GIS")
    monkeypatch.undo()
    assert store.history() == before and store.read("posts").equals(layer)
    assert notes(store)[0].status == "open"


def test_a_note_dismissed_while_it_is_accepted_changes_no_layer(store, monkeypatch):
    """Two reviewers at once: one dismisses the note while the other's acceptance is being
    imported; the acceptance is refused whole, the post stays where it was."""
    note = moved_post_note(store)
    before, layer = store.history(), store.read("posts")
    real_import = notes_module.import_file

    def dismissed_meanwhile(*args, **kwargs):
        dismiss_note(store, note.note_id, "other reviewer")
        return real_import(*args, **kwargs)

    monkeypatch.setattr(notes_module, "import_file", dismissed_meanwhile)
    with pytest.raises(NoteError) as refused:
        accept_note(store, note.note_id, "GIS")
    assert refused.value.code == "already_decided"
    assert store.history() == before and store.read("posts").equals(layer)
    assert (notes(store)[0].status, notes(store)[0].decided_by) == ("dismissed", "other reviewer")


def test_a_dismissed_note_stays_listed_and_layers_keep_every_note(store):
    note = add_note(store, author="D", organisation="", country="MLI", kind="other", text="doublon",
                    lon=-8.0, lat=15.0)
    dismiss_note(store, note.note_id, "GIS")
    posts = store.read("posts").assign(staff=1)
    store.commit_layer("posts", posts, CommitInfo("GIS"))  # a later layer commit
    (kept,) = notes(store)
    assert (kept.status, kept.decided_by) == ("dismissed", "GIS")


def test_scenarios_are_saved_and_compared(store):
    default = load_profile()
    population_first = default.with_weights({c.indicator: (1.0 if c.indicator == "pop_20km" else 0.0)
                                             for c in default.criteria})
    save_scenario(store, "  Population  d’abord ", population_first, "E")
    saved = scenarios(store)
    assert list(saved) == ["Population d’abord"]
    assert saved["Population d’abord"].profile == population_first
    with pytest.raises(ScenarioError):
        save_scenario(store, "   ", default)
    indicators, ranking = rank_store(store, default)
    table = compare(ranking, score(indicators, population_first))
    assert (table["change"] == table["rank_a"] - table["rank_b"]).all()
    assert table["change"].abs().sum() > 0
    assert table["rank_b"].is_monotonic_increasing


def test_rank_changes_read_as_arrows():
    assert rank_change_marks(pd.Series([2.0, -1.0, 0.0, float("nan")])) == ["▲ 2", "▼ 1", "=", ""]
