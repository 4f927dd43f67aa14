"""The XLSX workbook for project managers: shortlist with costs, running total and budget left;
full ranking; method and weights; sensitivity; data sources and layer versions.

Headers are styled and frozen, columns sized, numbers carry Excel formats (``#,##0``,
``0.000``) that Excel shows with the reader's own separators. Every text cell goes through
:func:`mapping.tables.inert_cell`. The record is kept, as JSON, in the hidden sheet
``RECORD_SHEET`` (in pieces, a cell holding at most 32,767 characters).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..i18n import catalogue, format_day, format_number, t
from ..scoring.explain import label, range_text
from ..tables import inert_cell
from .bundle import ExportBundle
from .columns import headers, ranking_table, shortlist_table

RECORD_SHEET = "bordermap_record"
RECORD_CHUNK = 32_000
WHOLE = "#,##0"
INTEGER_COLUMNS = {"rank", "rank_p05", "rank_median", "rank_p95", "version", "features",
                   "rehab_cost_usd", "running_total", "budget_left"}
FORMATS = {"score": "0.0000", "weight": "0.000", "p_top_n": "0%", "lat": "0.000000", "lon": "0.000000"}
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
MIN_WIDTH, MAX_WIDTH = 8, 60


def number_format(column: str) -> str:
    """The Excel number format of a column (Excel applies the reader's separators)."""
    if column in INTEGER_COLUMNS or column.startswith("pop_"):
        return WHOLE
    return FORMATS.get(column, "#,##0.00")


def _cell_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return inert_cell(value.item() if hasattr(value, "item") else value)


def write_sheet(sheet: Worksheet, table: pd.DataFrame, titles: list[str], first_row: int = 1) -> int:
    """Write ``table`` under a styled header at ``first_row``; returns the next free row."""
    for col, title in enumerate(titles, start=1):
        cell = sheet.cell(first_row, col, inert_cell(title))
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(table.itertuples(index=False), start=first_row + 1):
        for col, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(r, col, _cell_value(value))
            if isinstance(cell.value, int | float):
                cell.number_format = number_format(column)
    for col, (column, title) in enumerate(zip(table.columns, titles, strict=True), start=1):
        longest = max([len(str(v)) for v in table[column]] + [min(len(title), 24)])
        dimension = sheet.column_dimensions[get_column_letter(col)]
        width = max(MIN_WIDTH, min(MAX_WIDTH, longest + 2))
        dimension.width = max(width, dimension.width) if first_row > 1 else width
    return first_row + len(table) + 2


def _table_sheet(book: Workbook, title_key: str, table: pd.DataFrame, bundle: ExportBundle) -> None:
    sheet = book.create_sheet(t(title_key, bundle.lang))
    write_sheet(sheet, table, headers(list(table.columns), bundle))
    sheet.freeze_panes = "A2"
    if len(table):
        sheet.auto_filter.ref = sheet.dimensions


def method_tables(bundle: ExportBundle) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The criteria (label, indicator, direction, weight, missing policy, fixed range) and the
    settings of the computation (method, dates, budget, AHP consistency, software)."""
    lang, profile, record = bundle.lang, bundle.profile, bundle.record
    criteria = pd.DataFrame({
        "criterion": [label(c.indicator, lang) for c in profile.criteria],
        "indicator": [c.indicator for c in profile.criteria],
        "direction": [t(f"export.direction.{c.direction}", lang) for c in profile.criteria],
        "weight": [c.weight for c in profile.criteria],
        "missing": [t(f"explain.policy.{c.missing}", lang) for c in profile.criteria],
        "range": [range_text(c, lang) for c in profile.criteria],
    })
    none = t("export.method.none", lang)
    counts = {key: ", ".join(t("export.method.count", lang, iso3=k, count=v)
                             for k, v in getattr(record, key).items()) or none
              for key in ("min_per_country", "max_per_country")}
    # every value as text in the locale, so each keeps its own precision (a CR of 0.003 is not 0.00)
    settings: list[tuple[str, object]] = [
        ("profile", profile.name or none), ("method", t(f"app.methods.{profile.method}", lang)),
        ("reference_date", format_day(dt.date.fromisoformat(record.reference_date), lang)),
        ("sensitivity_top", format_number(profile.top_n, lang, 0)),
        ("top_n", format_number(record.top_n, lang, 0) if record.top_n else none),
        ("budget", format_number(record.budget, lang, 0) if record.budget is not None else none),
        ("min_per_country", counts["min_per_country"]), ("max_per_country", counts["max_per_country"]),
    ]
    if bundle.shortlist is not None:
        settings.append(("total_cost", format_number(bundle.shortlist.total_cost, lang, 0)))
        if bundle.shortlist.budget_left is not None:
            settings.append(("total_left", format_number(bundle.shortlist.budget_left, lang, 0)))
        if bundle.shortlist.excluded_missing_cost:
            settings.append(("no_cost_left_out", ", ".join(bundle.shortlist.excluded_missing_cost)))
    if profile.ahp is not None:
        settings += [("ahp_cr", format_number(profile.ahp.consistency_ratio, lang, 4)),
                     ("ahp_lambda", format_number(profile.ahp.lambda_max, lang, 4))]
    settings += [("software", record.software), ("created", record.created)]
    table = pd.DataFrame({"setting": [t(f"export.method.{key}", lang) for key, _ in settings],
                         "value": [value for _, value in settings]})
    return criteria, table


def _method_sheet(book: Workbook, bundle: ExportBundle) -> None:
    sheet = book.create_sheet(t("export.sheet.method", bundle.lang))
    criteria, settings = method_tables(bundle)
    next_row = write_sheet(sheet, criteria, headers(list(criteria.columns), bundle))
    write_sheet(sheet, settings, headers(list(settings.columns), bundle), first_row=next_row)
    sheet.freeze_panes = "A2"


def sensitivity_frame(bundle: ExportBundle) -> pd.DataFrame:
    """Rank, id, name and Monte Carlo rank interval and P(top N) of each ranked post."""
    posts = bundle.posts
    table = bundle.sensitivity.reindex(posts.index)
    table.insert(0, "name", posts.get("name", ""))
    table.insert(0, "post_id", posts.index.astype(str))
    table.insert(0, "rank", posts["rank"])
    return table.reset_index(drop=True)


def _action(action: str, lang: str) -> str:
    key = f"cli.action.{action}"
    return t(key, lang) if key in catalogue(lang) else action


def sources_frame(bundle: ExportBundle) -> pd.DataFrame:
    """The current version of each stored layer: who committed it, when, from which file."""
    rows = [{"kind": t(f"kinds.{v.kind}", bundle.lang), "version": v.version,
             "action": _action(v.action, bundle.lang), "time": v.time, "user": v.user,
             "source_file": v.source_file, "sha256": v.sha256, "features": v.features}
            for v in bundle.versions]
    return pd.DataFrame(rows, columns=["kind", "version", "action", "time", "user", "source_file",
                                       "sha256", "features"])


def _record_sheet(book: Workbook, bundle: ExportBundle) -> None:
    sheet = book.create_sheet(RECORD_SHEET)
    text = bundle.record.to_json()
    for row, start in enumerate(range(0, len(text), RECORD_CHUNK), start=1):
        cell = sheet.cell(row, 1, text[start:start + RECORD_CHUNK])
        cell.data_type = "s"  # a piece may start with "=" or "-": keep it text
    sheet.sheet_state = "hidden"


def write_xlsx(bundle: ExportBundle, path: Path) -> Path:
    """Write the workbook (sheet names in the bundle's language) with its record."""
    book = Workbook()
    book.remove(book.active)
    if bundle.shortlist is not None:
        _table_sheet(book, "export.sheet.shortlist", shortlist_table(bundle), bundle)
    _table_sheet(book, "export.sheet.ranking", ranking_table(bundle), bundle)
    _method_sheet(book, bundle)
    _table_sheet(book, "export.sheet.sensitivity", sensitivity_frame(bundle), bundle)
    _table_sheet(book, "export.sheet.sources", sources_frame(bundle), bundle)
    _record_sheet(book, bundle)
    book.save(path)
    return path


def read_xlsx_record(path: Path) -> str | None:
    """The record JSON kept in a workbook written by :func:`write_xlsx`, or None."""
    book = load_workbook(path, read_only=True)
    try:
        if RECORD_SHEET not in book.sheetnames:
            return None
        return "".join(str(row[0]) for row in book[RECORD_SHEET].iter_rows(values_only=True)
                       if row and row[0] is not None)
    finally:
        book.close()
