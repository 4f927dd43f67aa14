"""The XLSX workbook for project managers: shortlist with costs, running total and budget left;
full ranking; posts, shortlist and costs per country and per border; method and weights;
sensitivity; data sources and layer versions.

Every sheet prints as it should: landscape A4, one page wide, the header row repeated, the
report's title in the page header and the page number in the footer. Headers are bold
Calibri (the body's font), wrapped and tall enough for their lines; long texts (the "why"
column) wrap in a column of ``MAX_WIDTH`` characters. Numbers are numbers with Excel formats
(``#,##0``, ``0.000``) that Excel and LibreOffice show with the reader's own separators, each
unit with its fixed decimals (:data:`mapping.i18n.quantities.UNIT_DIGITS`); dates are dates,
shown day first in French. Every text cell goes through :func:`mapping.tables.inert_cell`.
The record is kept, as JSON, in the hidden sheet ``RECORD_SHEET`` (in pieces, a cell holding
at most 32,767 characters).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..i18n import catalogue, t
from ..i18n.quantities import unit_digits
from ..scoring.explain import label, range_text
from ..scoring.selection import BORDER_COLUMN
from ..tables import inert_cell
from .bundle import ExportBundle
from .columns import headers, ranking_table, shortlist_table
from .summary import country_names, summary

RECORD_SHEET = "bordermap_record"
RECORD_CHUNK = 32_000
WHOLE = "#,##0"
COLUMN_UNITS = {"rank": "count", "rank_p05": "count", "rank_p95": "count", "version": "count",
                "features": "count", "score": "score", "rehab_cost_usd": "usd", "running_total": "usd",
                "budget_left": "usd", "posts": "count", "shortlisted_posts": "count", "cost_usd": "usd",
                "shortlist_cost_usd": "usd"}
FORMATS = {"weight": "0.0%", "p_top_n": "0%", "lat": "0.000000", "lon": "0.000000", "rank_median": "0.0"}
DATE_FORMATS = {"en": "yyyy-mm-dd", "fr": "dd/mm/yyyy"}
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
HEADER_FONT = Font(name="Calibri", size=11, bold=True)
LINE_HEIGHT = 15  # points per line of 11-point text
MIN_WIDTH, MAX_WIDTH = 8, 60  # characters
PAGE_WIDTH = 190  # characters of column width on a landscape A4 page printed at about 75 %


def number_format(column: str, unit: str | None = None) -> str:
    """The Excel number format of a column, from its unit's fixed decimals (Excel applies the
    reader's separators)."""
    if column in FORMATS:
        return FORMATS[column]
    digits = unit_digits(unit or COLUMN_UNITS.get(column))
    return WHOLE + ("." + "0" * digits if digits else "")


def date_format(lang: str, with_time: bool = False) -> str:
    """Excel's format of a date (day first in French), with hours and minutes if asked."""
    return DATE_FORMATS[lang] + (" hh:mm" if with_time else "")


def _cell_value(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return inert_cell(value.item() if hasattr(value, "item") else value)


def write_sheet(sheet: Worksheet, table: pd.DataFrame, titles: list[str], first_row: int = 1,
                units: dict[str, str] | None = None, lang: str = "en") -> int:
    """Write ``table`` under a styled header at ``first_row``; returns the next free row.
    ``units`` gives each numeric column's unit (its decimals); long texts wrap."""
    units = units or {}
    widths = []
    for col, (column, title) in enumerate(zip(table.columns, titles, strict=True), start=1):
        longest = max([len(str(v)) for v in table[column]] + [min(len(title), 24)])
        dimension = sheet.column_dimensions[get_column_letter(col)]
        width = max(MIN_WIDTH, min(MAX_WIDTH, longest + 2))
        dimension.width = max(width, dimension.width) if first_row > 1 else width
        widths.append(dimension.width)
    for col, title in enumerate(titles, start=1):
        cell = sheet.cell(first_row, col, inert_cell(title))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = max((math.ceil(len(title) / max(width - 1, 1))
                 for title, width in zip(titles, widths, strict=True)), default=1)
    sheet.row_dimensions[first_row].height = LINE_HEIGHT * max(lines, 1)
    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    for r, row in enumerate(table.itertuples(index=False), start=first_row + 1):
        lines = 1
        for col, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(r, col, _cell_value(value))
            cell.alignment = top
            if isinstance(cell.value, dt.datetime):
                cell.number_format = date_format(lang, with_time=True)
            elif isinstance(cell.value, dt.date):
                cell.number_format = date_format(lang)
            elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = number_format(column, units.get(column))
            elif isinstance(cell.value, str) and len(cell.value) > widths[col - 1]:
                cell.alignment = wrap
                lines = max(lines, wrapped_lines(cell.value, widths[col - 1]))
        if lines > 1:  # spreadsheets do not all grow a row to its wrapped text on opening
            sheet.row_dimensions[r].height = LINE_HEIGHT * lines
    return first_row + len(table) + 2


def wrapped_lines(text: str, width: float) -> int:
    """About how many lines ``text`` takes, wrapped at word ends in a column ``width`` characters wide."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width - 1:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def print_setup(sheet: Worksheet, title: str, lang: str, title_columns: str | None = None) -> None:
    """Landscape A4, as many pages wide as the columns need at about 75 % (one for a narrow
    sheet), the header row (and ``title_columns``, e.g. ``"A:B"``) repeated on every page,
    the title in the page header and "page N of M" in the footer."""
    width = sum(sheet.column_dimensions[get_column_letter(col)].width or MIN_WIDTH
                for col in range(1, sheet.max_column + 1))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = max(1, math.ceil(width / PAGE_WIDTH))
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    if title_columns and sheet.page_setup.fitToWidth > 1:
        sheet.print_title_cols = title_columns
    sheet.print_options.gridLines = True
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.left.text = sheet.title.replace("&", "&&")
    sheet.oddFooter.right.text = t("export.page_of", lang, page="&P", pages="&N")


def sheet_units(bundle: ExportBundle) -> dict[str, str]:
    """The unit of every numeric column a sheet may show (indicators and the export's own)."""
    return {**bundle.indicators.attrs.get("units", {}), **COLUMN_UNITS}


def _table_sheet(book: Workbook, title_key: str, table: pd.DataFrame, bundle: ExportBundle) -> None:
    sheet = book.create_sheet(t(title_key, bundle.lang))
    write_sheet(sheet, table, headers(list(table.columns), bundle), units=sheet_units(bundle),
                lang=bundle.lang)
    sheet.freeze_panes = "A2"
    if len(table):
        sheet.auto_filter.ref = sheet.dimensions
    print_setup(sheet, t("report.title", bundle.lang), bundle.lang, title_columns="A:B")


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
              for key in ("min_per_country", "max_per_country", "min_per_border", "max_per_border")}
    settings: list[tuple[str, object]] = [
        ("profile", profile.name or none), ("method", t(f"app.methods.{profile.method}", lang)),
        ("reference_date", dt.date.fromisoformat(record.reference_date)),
        ("sensitivity_top", profile.top_n), ("top_n", record.top_n or none),
        ("budget", record.budget if record.budget is not None else none),
        ("min_per_country", counts["min_per_country"]), ("max_per_country", counts["max_per_country"]),
        ("min_per_border", counts["min_per_border"]), ("max_per_border", counts["max_per_border"]),
        ("selection", bundle.selection.describe(lang, country_names(bundle))),
    ]
    if bundle.shortlist is not None:
        settings.append(("total_cost", bundle.shortlist.total_cost))
        if bundle.shortlist.budget_left is not None:
            settings.append(("total_left", bundle.shortlist.budget_left))
        if bundle.shortlist.excluded_missing_cost:
            settings.append(("no_cost_left_out", ", ".join(bundle.shortlist.excluded_missing_cost)))
    if profile.ahp is not None:
        settings += [("ahp_cr", profile.ahp.consistency_ratio), ("ahp_lambda", profile.ahp.lambda_max)]
    settings += [("software", record.software), ("created", utc_time(record.created))]
    table = pd.DataFrame({"setting": [t(f"export.method.{key}", lang) for key, _ in settings],
                          "value": [value for _, value in settings]},
                         index=pd.Index([key for key, _ in settings], name="key"))
    return criteria, table


SETTING_FORMATS = {"ahp_cr": "0.0000", "ahp_lambda": "0.0000"}  # others: whole numbers (USD, counts)


def utc_time(text: str) -> dt.datetime:
    """An ISO 8601 time as a naive UTC datetime (spreadsheets have no time zones)."""
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _method_sheet(book: Workbook, bundle: ExportBundle) -> None:
    lang = bundle.lang
    sheet = book.create_sheet(t("export.sheet.method", lang))
    criteria, settings = method_tables(bundle)
    next_row = write_sheet(sheet, criteria, headers(list(criteria.columns), bundle), lang=lang)
    write_sheet(sheet, settings, headers(list(settings.columns), bundle), first_row=next_row, lang=lang)
    for row, key in enumerate(settings.index, start=next_row + 1):
        cell = sheet.cell(row, 2)
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
            cell.number_format = SETTING_FORMATS.get(key, WHOLE)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=isinstance(cell.value, str))
    sheet.freeze_panes = "A2"
    print_setup(sheet, t("report.title", lang), lang)


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
             "action": _action(v.action, bundle.lang), "time": utc_time(v.time), "user": v.user,
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


def _properties(book: Workbook, bundle: ExportBundle) -> None:
    """Title, subject, author, language and times of the workbook (File > Properties)."""
    lang, properties = bundle.lang, book.properties
    properties.title = t("report.title", lang)
    properties.subject = t("report.subject", lang)
    properties.creator = properties.lastModifiedBy = t("report.author", lang)
    properties.language = lang
    properties.keywords = "bordermap"
    properties.created = properties.modified = utc_time(bundle.record.created)


def write_xlsx(bundle: ExportBundle, path: Path) -> Path:
    """Write the workbook (sheet names in the bundle's language) with its record."""
    book = Workbook()
    book.remove(book.active)
    if bundle.shortlist is not None:
        _table_sheet(book, "export.sheet.shortlist", shortlist_table(bundle), bundle)
    _table_sheet(book, "export.sheet.ranking", ranking_table(bundle), bundle)
    _table_sheet(book, "export.sheet.countries", summary(bundle, "iso3"), bundle)
    _table_sheet(book, "export.sheet.borders", summary(bundle, BORDER_COLUMN), bundle)
    _method_sheet(book, bundle)
    _table_sheet(book, "export.sheet.sensitivity", sensitivity_frame(bundle), bundle)
    _table_sheet(book, "export.sheet.sources", sources_frame(bundle), bundle)
    _record_sheet(book, bundle)
    _properties(book, bundle)
    buffer = io.BytesIO()  # built in memory: a full disk leaves no half-closed ZIP to complain later
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
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
