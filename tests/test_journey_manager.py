"""A project manager's whole job in the browser, in French and in English: rank one border alone
(the map and the table show only its posts) and then all posts again, move a weight and see the
effective weights and the new ranking on the map and in the table, save a scenario and compare
it with the current weights, set a budget with a minimum for one country and a maximum for one
border, then download the XLSX workbook and the PDF report and open both."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest
from browser import Browser, browser, demo_app, download, plain, words
from pypdf import PdfReader

from mapping.layers.borders import served_borders
from mapping.layers.user_store import open_store
from mapping.scoring.explain import label

BUDGET = 1_000_000  # USD
MINIMUM_COUNTRY, MINIMUM = "MLI", 3  # the budget alone picks two of the three Malian posts
GRID_ROW_PX = 35  # height of the header and of each row of an editable table


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("manager")) as server:
        yield server


def effective_weights(tab: Browser) -> list[float]:
    """The weights written beside the sliders' names (percent, as the page shows them)."""
    labels = tab.page.locator("[data-testid=stSidebar] [data-testid=stSlider] [data-testid=stWidgetLabel]")
    found = [re.search(r"—\s*([\d.,]+)\s*%", plain(text)) for text in labels.all_inner_texts()]
    return [float(m.group(1).replace(",", ".")) for m in found if m]


def top_post_agrees_on_map_and_table(tab: Browser, positions: dict[str, tuple[float, float]],
                                     lang: str) -> str:
    """The post ranked first in the table is the one the map numbers 1; returns its name."""
    first = tab.ranking(lang)[0]
    lat, lon = tab.map_ranks()[1]
    assert abs(positions[first][0] - lat) < 1e-4 and abs(positions[first][1] - lon) < 1e-4, first
    return first


def choose_border(tab: Browser, lang: str, code: str | None) -> None:
    """Rank the posts of one border (``code``), or of every border again (None), in the sidebar."""
    chooser = tab.page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(
        has_text=words("app.filter.borders", lang))
    chooser.locator("input").click()
    if code is None:
        tab.page.keyboard.press("Backspace")  # the chosen border goes: all posts again
        tab.page.keyboard.press("Escape")
    else:
        tab.page.keyboard.type(code)
        tab.page.get_by_role("option").filter(has_text=f"({code})").first.click()
        tab.page.keyboard.press("Escape")
    tab.settle()
    tab.healthy()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_manager_reweights_compares_fits_the_budget_and_exports(app, lang):
    store = open_store(app.store)
    posts = store.read("posts")
    positions = {n: (g.y, g.x) for n, g in zip(posts["name"], posts.geometry, strict=True)}
    border_of = dict(zip(posts["name"], served_borders(posts, store.read("borders")), strict=True))
    sizes = pd.Series(border_of).value_counts()
    smallest = str(sizes[sizes > 1].index[-1])  # the border with the fewest posts (2 or more): alone
    other = "en" if lang == "fr" else "fr"
    with browser(app, f"manager-{lang}") as tab:
        if lang == "en":
            tab.language("en")
        # 0. one border alone: the map and the table show only its posts; then every post again
        everyone = tab.ranking(lang)
        whole_zoom, _ = tab.map_view()
        choose_border(tab, lang, smallest)
        alone = tab.ranking(lang)
        assert alone and all(border_of[name] == smallest for name in alone), alone
        zoom, (south, west, north, east) = tab.map_view(other_than=whole_zoom)
        assert zoom > whole_zoom  # the map frames the border's posts
        assert all(south < positions[name][0] < north and west < positions[name][1] < east for name in alone)
        assert len(tab.map_ranks()) == len(alone) < len(everyone)
        assert all(abs(positions[name][0] - tab.map_ranks()[rank][0]) < 1e-4
                   for rank, name in enumerate(alone, start=1))
        tab.shot("one-border")
        choose_border(tab, lang, None)
        assert tab.ranking(lang) == everyone
        # 1. the weights as shares of 100 %, and the same post first on the map and in the table
        assert abs(sum(effective_weights(tab)) - 100) < 0.5
        before = top_post_agrees_on_map_and_table(tab, positions, lang)
        # 2. condition matters most: a slider moves, the weights and the ranking follow (N'Djamena,
        # first by default, stays first when population matters most)
        need = tab.page.locator("[data-testid=stSidebar] [data-testid=stSlider]").filter(
            has_text=label("condition_need", lang).capitalize())
        need.get_by_role("slider").focus()
        tab.page.keyboard.press("End")  # all 100 points
        tab.settle()
        shares = effective_weights(tab)
        assert abs(sum(shares) - 100) < 0.5 and max(shares) > 40
        after = top_post_agrees_on_map_and_table(tab, positions, lang)
        assert after != before
        tab.shot("reweighted")

        # 3. a scenario saved under a name, compared with the current weights
        tab.tab("app.scenarios", lang)
        form = tab.page.locator("[data-testid=stForm]").filter(has_text=words("app.scenario_save", lang))
        form.get_by_label(words("app.scenario_name", lang), exact=True).fill(f"Condition {lang}")
        form.get_by_role("button", name=words("app.scenario_save", lang)).click()
        tab.settle()
        assert tab.shows(words("app.scenario_saved", lang, name=f"Condition {lang}"))
        condition = tab.page.locator("[data-testid=stSidebar] [data-testid=stSlider]").nth(0)
        condition.get_by_role("slider").focus()
        tab.page.keyboard.press("Home")  # no points at all
        tab.settle()
        assert tab.shows("▲") and tab.shows("▼")  # ranks that move between the two weight sets
        tab.shot("scenario-compared")

        # 4. the shortlist within a budget, with at least two posts in Mali
        tab.open("shortlist", lang)
        budget = tab.page.locator("[data-testid=stNumberInput]").filter(has_text=words("app.budget", lang))
        budget.locator("input").fill(str(BUDGET))
        budget.locator("input").press("Enter")
        tab.settle()
        box = tab.page.locator("[data-testid=stDataFrame]").first.bounding_box()
        countries = sorted(open_store(app.store).read("posts")["iso3"].dropna().unique())
        row = countries.index(MINIMUM_COUNTRY)  # the "at least" cell of that country's row
        tab.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + GRID_ROW_PX * (row + 1.5))
        tab.page.wait_for_timeout(300)  # the grid takes the focus
        tab.page.keyboard.type(str(MINIMUM))
        tab.page.wait_for_timeout(300)
        tab.page.keyboard.press("Enter")
        tab.settle()
        header, *rows = tab.static_table(words("app.col.running_total", lang))
        assert header[2:4] == [words("app.col.country", lang), words("export.col.border_id", lang)]
        assert sum(r[2].strip() == MINIMUM_COUNTRY for r in rows) >= MINIMUM, rows
        assert 0 < float(re.sub(r"[ ,]", "", rows[-1][6])) <= BUDGET
        tab.shot("shortlist")
        # 4b. at most one post fewer on the border with the most shortlisted posts
        counts = pd.Series([r[3] for r in rows]).value_counts()
        busiest, most = str(counts.index[0]), int(counts.iloc[0])
        grid = tab.page.locator("[data-testid=stDataFrame]").nth(1)
        box = grid.bounding_box()
        ranked = posts.loc[~posts["status"].isin(["closed", "planned"]), "name"]  # as the profile ranks
        served = sorted({border_of[n] for n in ranked if border_of[n]})  # the rows of the border limits
        row = served.index(busiest)
        at_most = (box["x"] + box["width"] * 0.85, box["y"] + GRID_ROW_PX * (row + 1.5))  # the last column
        tab.page.mouse.click(*at_most)  # the grid takes the focus (and the cell)
        tab.page.wait_for_timeout(300)
        tab.page.mouse.click(*at_most)  # the cell, or its editor
        tab.page.wait_for_timeout(300)
        tab.page.keyboard.type(str(most - 1))
        tab.page.wait_for_timeout(300)
        tab.page.keyboard.press("Enter")
        tab.settle()
        tab.healthy()
        header, *rows = tab.static_table(words("app.col.running_total", lang))
        assert sum(r[3] == busiest for r in rows) == most - 1, rows
        assert sum(r[2].strip() == MINIMUM_COUNTRY for r in rows) >= MINIMUM, rows
        tab.shot("shortlist-per-border")

        # 5. the workbook and the report, downloaded and opened
        name, content = download(tab, words("app.formats.xlsx", lang), lang)
        assert name.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert words("export.sheet.shortlist", lang) in book.sheetnames
        sheet = book[words("export.sheet.shortlist", lang)]
        listed = [str(cell.value) for row in sheet.iter_rows() for cell in row]
        assert sum(v == MINIMUM_COUNTRY for v in listed) >= MINIMUM
        tab.language(other)  # and on in the other language
        name, content = download(tab, words("app.formats.pdf", other), other)
        assert name.endswith(".pdf") and content.startswith(b"%PDF")
        text = plain(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))
        assert words("report.title", other) in text
        assert any(r[1].strip() in text for r in rows)  # the shortlisted posts are in the report
        tab.shot("exported")
        tab.language(lang)
        tab.healthy()
        assert tab.outside == []
