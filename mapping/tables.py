"""Writing tables for spreadsheets: CSV (UTF-8 with BOM, so Excel shows accents; with
``;`` and decimal commas in French) or XLSX, with every text cell that a spreadsheet
would run as a formula neutralised and control characters removed."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .errors import BordermapError
from .escape import xml_text
from .outputs import replacing

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SCORE_DIGITS, VALUE_DIGITS = 4, 3  # decimals kept in tables: scores (0–1) and other values


def inert_cell(value: object) -> object:
    """Text without control characters, and with a leading apostrophe when it starts like a
    formula; anything else is unchanged."""
    if not isinstance(value, str):
        return value
    text = xml_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def inert_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) cannot run as spreadsheet formulas."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(inert_cell)
    out.columns = [inert_cell(str(c)) for c in out.columns]
    return out


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """A copy with float columns rounded for people: scores and their parts (``score``,
    ``norm:…``, ``contrib:…``) to ``SCORE_DIGITS``, other values to ``VALUE_DIGITS``."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            name = str(column)
            score = name == "score" or name.startswith(("norm:", "contrib:"))
            out[column] = out[column].round(SCORE_DIGITS if score else VALUE_DIGITS)
    return out


def csv_options(lang: str) -> dict[str, str]:
    """``DataFrame.to_csv`` options for ``lang``: UTF-8 with BOM; in French ``;`` and decimal commas."""
    if lang == "fr":
        return {"encoding": "utf-8-sig", "sep": ";", "decimal": ","}
    return {"encoding": "utf-8-sig"}


def write_table(table: pd.DataFrame, path: str | Path, lang: str = "en", index: bool = True,
                round_values: bool = True) -> Path:
    """Write ``table`` as .csv or .xlsx (by the file's suffix), formulas neutralised and
    numbers rounded (:func:`rounded`, unless ``round_values`` is false), whole or not at all
    (:func:`mapping.outputs.replacing`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BordermapError("table_format", suffix=path.suffix or "-")
    table = table.reset_index() if index else table
    safe = inert_table(rounded(table) if round_values else table)
    with replacing(path) as partial:
        if suffix == ".xlsx":
            partial.write_bytes(xlsx_bytes(safe))
        else:
            safe.to_csv(partial, index=False, **csv_options(lang))
    return path


def xlsx_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as one XLSX sheet, built in memory: a workbook that cannot be written leaves no
    half-closed ZIP behind to complain when it is collected."""
    buffer = io.BytesIO()
    table.to_excel(buffer, index=False)
    return buffer.getvalue()
