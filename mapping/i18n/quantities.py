"""A quantity in the locale: a number with its unit, a yes/no, a status word or "no data".

The one formatter of values for the app, the reports and the exports. Units are those of
:func:`mapping.scoring.indicators.compute_indicators` (``persons``, ``km``, ``usd`` …) plus
``score``; each unit has a fixed number of decimals, so a column never shows ``0.45`` beside
``0.584``. Words come from the catalogue tables ``units``, ``unit_names`` and ``quantity``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from . import catalogue, format_number, t

UNIT_DIGITS = {"persons": 0, "count": 0, "usd": 0, "months": 0, "km": 1, "per_day": 1, "score_0_4": 1,
               "minutes": 0, "score": 3}
DEFAULT_DIGITS = 2


def is_missing(value: Any) -> bool:
    """None, NaN or ``pd.NA``."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def unit_digits(unit: str | None) -> int:
    """The decimals a value of ``unit`` is shown with."""
    return UNIT_DIGITS.get(unit or "", DEFAULT_DIGITS)


def yes_no_word(value: bool, lang: str) -> str:
    return t("quantity.yes" if value else "quantity.no", lang)


def value_word(value: str, lang: str) -> str:
    """A coded value (``degraded``, ``trunk``) in words of ``lang``; unknown values unchanged."""
    key = f"values.{value}"
    return t(key, lang) if key in catalogue(lang) else value


def unit_name(unit: str | None, lang: str) -> str:
    """The unit's name for a column title (``people``), "" for none."""
    key = f"unit_names.{unit}"
    return t(key, lang) if unit and key in catalogue(lang) else ""


def format_quantity(value: Any, unit: str | None, lang: str) -> str:
    """``value`` for people: ``12,345 people``, ``3.5 km``, ``USD 120,000``, ``0.584``, yes/no,
    a status word, or "no data"."""
    if is_missing(value):
        return t("quantity.missing", lang)
    if isinstance(value, str):
        return value_word(value, lang)
    if unit == "yes_no" or isinstance(value, bool):
        return yes_no_word(float(value) >= 0.5, lang)
    text = format_number(float(value), lang, unit_digits(unit), fixed=True)
    key = f"units.{unit}"
    return t(key, lang, value=text) if unit and key in catalogue(lang) else text
