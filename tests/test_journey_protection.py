"""Data responsibility in the browser, as the administrator who looks after it: in French, they
set a layer's sensitivity level on the Layers page, export the shortlist's GeoPackage once at
full precision (ticking the box only cleared roles see: distances to unofficial crossings as
they are) and once without (rounded up to whole grid cells), and read both exports
in the audit log; in English, they read the log again and set the level back."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from browser import SIGN_IN_READY, Browser, accounts_app, browser, download, sign_in, words

from mapping.accounts.roles import Role, Sensitivity, Viewer
from mapping.layers.user_store import open_store
from mapping.protection.audit import audit_records
from mapping.protection.grid import CELL_KM
from mapping.protection.levels import layer_levels

ADMIN = ("Aminata", "sahel-2026")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on the demo data with one administrator account."""
    with accounts_app(tmp_path_factory.mktemp("protection"), ADMIN) as server:
        yield server


def levels_tab(tab: Browser, lang: str) -> None:
    tab.open("layers", lang)
    tab.tab("protection.levels_tab", lang)
    tab.healthy()


def level_row(tab: Browser, kind: str, lang: str) -> list[str]:
    """The levels table's row of ``kind``: its name, its level, what the viewer sees of it."""
    rows = tab.static_table(words("protection.col.yours", lang), within=tab.panel())
    return next(row for row in rows if row[0] == words(f"kinds.{kind}", lang))


def set_level(tab: Browser, kind: str, level: str, lang: str) -> None:
    panel = tab.panel()
    boxes = panel.locator("[data-testid=stSelectbox]")
    tab.choose(boxes.filter(has_text=words("protection.level_kind", lang)), words(f"kinds.{kind}", lang))
    tab.choose(boxes.filter(has_text=words("protection.col.level", lang)),
               words(f"accounts.levels.{level}", lang))
    panel.get_by_role("button", name=words("protection.set_level", lang)).click()
    tab.settle()
    tab.healthy()
    assert tab.shows(words("protection.level_set", lang, kind=words(f"kinds.{kind}", lang),
                           level=words(f"accounts.levels.{level}", lang)))
    assert level_row(tab, kind, lang)[1] == words(f"accounts.levels.{level}", lang)


def audit_rows(tab: Browser, lang: str) -> list[dict[str, str]]:
    rows = tab.static_table(words("protection.audit.user", lang), within=tab.panel())
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def nearest_unofficial_km(path) -> pd.Series:
    """Each ranked post's distance (km) to the nearest unofficial crossing, as exported."""
    posts = pyogrio.read_dataframe(path, layer="ranked_posts")
    return posts.set_index("post_id")["unofficial_nearest_km"].dropna()


def test_an_admin_sets_a_level_exports_at_both_precisions_and_reads_the_audit_log(app, tmp_path):
    store = open_store(app.store)
    with browser(app, "protection-admin", ready=SIGN_IN_READY) as tab:
        sign_in(tab, *ADMIN, "fr")
        levels_tab(tab, "fr")
        assert level_row(tab, "crossings", "fr")[1:] == [words("accounts.levels.restricted", "fr"),
                                                         words("protection.seen.full", "fr")]
        assert tab.shows(words("protection.audit_empty", "fr"))
        set_level(tab, "settlements", "restricted", "fr")
        assert layer_levels(store)["settlements"] is Sensitivity.RESTRICTED
        tab.shot("level-set-fr")

        tab.open("shortlist", "fr")
        full = tab.page.get_by_text(words("protection.full_precision", "fr"), exact=True)
        full.click()  # only a cleared role sees the box
        tab.settle()
        name, content = download(tab, words("app.formats.gpkg", "fr"), "fr")
        (tmp_path / "full.gpkg").write_bytes(content)
        exact = nearest_unofficial_km(tmp_path / "full.gpkg")
        assert len(exact) and (exact % CELL_KM != 0).any()  # distances to crossings where they are
        full.click()
        tab.settle()
        _, content = download(tab, words("app.formats.gpkg", "fr"), "fr")
        (tmp_path / "coarse.gpkg").write_bytes(content)
        coarse = nearest_unofficial_km(tmp_path / "coarse.gpkg")
        assert (coarse % CELL_KM == 0).all() and (coarse.loc[exact.index] >= exact).all()  # whole cells
        tab.shot("exported-fr")

        levels_tab(tab, "fr")
        logged = audit_rows(tab, "fr")
        assert [(r[words("protection.audit.user", "fr")], r[words("protection.audit.what", "fr")],
                 r[words("protection.audit.precision", "fr")]) for r in logged] == [
            (ADMIN[0], words("app.pages.shortlist", "fr"), words(f"protection.precisions.{p}", "fr"))
            for p in ("coarsened", "full")]  # newest first
        assert logged[1][words("protection.audit.file", "fr")] == name
        tab.shot("audit-fr", tab.panel().locator("[data-testid=stTable]").last)

        tab.language("en")
        levels_tab(tab, "en")
        assert [r[words("protection.audit.precision", "en")] for r in audit_rows(tab, "en")] == [
            words(f"protection.precisions.{p}", "en") for p in ("coarsened", "full")]
        assert words("accounts.roles.admin", "en") in audit_rows(tab, "en")[0].values()
        set_level(tab, "settlements", "public", "en")
        assert layer_levels(store)["settlements"] is Sensitivity.PUBLIC
        tab.shot("audit-en", tab.panel().locator("[data-testid=stTable]").last)
    logged = audit_records(store, Viewer(ADMIN[0], Role.ADMIN))
    assert [(r["user"], r["precision"]) for r in logged] == [(ADMIN[0], "full"), (ADMIN[0], "coarsened")]
