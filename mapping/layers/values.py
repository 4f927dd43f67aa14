"""Convert field values to the schema's types, a whole column at a time.

Each converter takes the raw cells of one column and returns the converted cells
(``None`` where empty) and a mask of the cells that could not be converted, so that
validation reports every bad cell without looping over the good ones in Python.

Field conventions handled: decimal commas and spaces or non-breaking spaces as
thousands separators (``1 234,5``); yes/no words in English and French and 1/0;
dates as ``YYYY-MM-DD`` or ``YYYY/MM/DD``, also as ISO 8601 date-times as KoboToolbox and
ODK write them (``2025-03-02T09:14:00.000+00:00``, ``…Z``: the calendar date as written, in
the time zone of the form), ``DD/MM/YYYY`` (also with ``-`` or ``.``, with or without a time),
spreadsheet date cells and Excel serial day numbers.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from .columns import FALSE_WORDS, TRUE_WORDS, canonical_value, normalise
from .schema import Column, is_blank

LARGEST_EXACT_INTEGER = 2**53
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (1, 109_574)  # 1900-01-01 .. 2199-12-31
# a date, then an optional time of day (seconds, fractions, ``Z`` or an offset such as +01:00)
_TIME = (r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
         r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
_YEAR_FIRST = re.compile(r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})" + _TIME + "$")
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})" + _TIME + "$")
_SPACES = re.compile(r"[\s\u202f\xa0]")


def as_text(value: object) -> str | None:
    """A cell as trimmed text; a whole number read as a float (``7.0``) gives ``"7"``."""
    if is_blank(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def text_column(raw: pd.Series) -> pd.Series:
    """``as_text`` of every cell (a column that is entirely empty is answered at once)."""
    if raw.isna().all():
        return pd.Series([None] * len(raw), index=raw.index, dtype=object)
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":  # the common case, vectorised
        stripped = raw.astype(object).str.strip()
        keep = stripped.notna() & (stripped != "")
        return pd.Series(np.where(keep, stripped, None), index=raw.index, dtype=object)
    return pd.Series([as_text(v) for v in raw], index=raw.index, dtype=object)


def to_numbers(raw: pd.Series, whole: bool) -> tuple[pd.Series, np.ndarray]:
    """Numbers (float, or whole numbers for ``whole``) and the mask of cells that are not."""
    text = text_column(raw)
    cleaned = text.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype(float)
    bad = text.notna().to_numpy() & ~np.isfinite(numbers.to_numpy())
    if whole:
        values = numbers.to_numpy()
        with np.errstate(invalid="ignore"):
            bad |= np.isfinite(values) & ((values % 1 != 0) | (np.abs(values) > LARGEST_EXACT_INTEGER))
    cast = int if whole else float
    converted = [None if flag or np.isnan(x) else cast(x) for flag, x in zip(bad, numbers, strict=True)]
    return pd.Series(converted, index=raw.index, dtype=object), bad


def to_booleans(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """True/False from yes/no words (EN/FR), true/false, 1/0; the mask of other cells."""
    words = text_column(raw).map(lambda v: None if v is None else normalise(v))
    converted = words.map(lambda w: True if w in TRUE_WORDS else False if w in FALSE_WORDS else None)
    bad = (words.notna() & converted.isna()).to_numpy()
    return converted.astype(object), bad


def _calendar_dates(parts: pd.DataFrame) -> pd.Series:
    """Dates from extracted ``year``, ``month``, ``day`` (and time) parts; NaT where a part is
    out of range (a 31 February, a 25th hour)."""
    numbers = parts.apply(pd.to_numeric)
    dates = pd.to_datetime(numbers[["year", "month", "day"]], errors="coerce")
    bad_time = (numbers["hour"] > 23) | (numbers["minute"] > 59) | (numbers["second"] > 60)
    return dates.mask(bad_time.fillna(False))


def _dates_from_text(text: pd.Series) -> pd.Series:
    """Parse text dates (see the module docstring); unparsed cells are NaT."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    found = pd.Series(False, index=text.index)
    for pattern in (_YEAR_FIRST, _DAY_FIRST):
        parts = text[~found].str.extract(pattern)
        matched = parts["year"].notna()
        if matched.any():
            parsed[matched[matched].index] = _calendar_dates(parts[matched])
            found[matched[matched].index] = True
    serial = pd.to_numeric(text.where(~found), errors="coerce")
    in_range = serial.between(*EXCEL_SERIAL_RANGE)
    if in_range.any():
        parsed[in_range] = EXCEL_EPOCH + pd.to_timedelta(serial[in_range].round(), unit="D")
    return parsed


def to_dates(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Calendar dates (``datetime.date``) and the mask of cells that are not dates."""
    is_time = raw.map(lambda v: isinstance(v, dt.date | np.datetime64) and not is_blank(v))
    text = text_column(raw.where(~is_time, None))
    parsed = _dates_from_text(text)
    if is_time.any():  # a date-time with a time zone counts on its own clock, as written
        parsed[is_time] = pd.to_datetime([pd.Timestamp(v).date() for v in raw[is_time]])
    bad = (text.notna() & parsed.isna()).to_numpy()
    converted = pd.Series([None if pd.isna(v) else v.date() for v in parsed], index=raw.index,
                          dtype=object)
    return converted, bad


def to_allowed(text: pd.Series, column: Column) -> tuple[pd.Series, dict[object, list[str]]]:
    """Canonical allowed values (``"Dégradé"`` -> ``"degraded"``; several for a list column,
    joined with ``;``) and, per bad cell's index, the parts that are not allowed."""
    cache = {value: _allowed(value, column) for value in text.dropna().unique()}
    converted = text.map(lambda v: None if v is None else cache[v][0])
    bad = {index: cache[v][1] for index, v in text.items() if v is not None and cache[v][1]}
    return converted.astype(object), bad


def _allowed(text: str, column: Column) -> tuple[str | None, list[str]]:
    if not column.multiple:
        canon = canonical_value(text, column.allowed)
        return canon, [] if canon else [text]
    good, bad = [], []
    for part in filter(None, (p.strip() for p in re.split(r"[;,|]", text))):
        canon = canonical_value(part, column.allowed)
        if canon:
            good.append(canon)
            continue
        words = [canonical_value(w, column.allowed) for w in part.split()]  # Kobo: "foot vehicle"
        if all(words):
            good.extend(w for w in words if w)
        else:
            bad.append(part)
    return (";".join(dict.fromkeys(good)) or None), bad
