"""French and English catalogues, and locale-aware number and date formatting.

Catalogues are TOML files in ``mapping/i18n/<lang>/``; every file's tables are
merged into one flat mapping of dotted keys (``validation.missing_column``).
Messages use ``str.format`` placeholders; numbers and dates passed as
parameters are formatted for the language (French: ``38 000``, ``0,72``,
``22/11/2026``).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # babel is imported when a number or date is first formatted (`--help` stays quick)
    from babel import Locale
    from babel.numbers import NumberPattern

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
_HERE = Path(__file__).parent


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, keyed by dotted name."""
    lang = check_language(lang)
    merged: dict[str, str] = {}
    for path in sorted((_HERE / lang).glob("*.toml")):
        with path.open("rb") as handle:
            merged.update(_flatten(tomllib.load(handle)))
    return merged


def check_language(lang: str | None) -> str:
    """Return a supported language code; ``None`` means the default (env ``BORDERMAP_LANG``)."""
    lang = (lang or os.environ.get("BORDERMAP_LANG") or DEFAULT_LANGUAGE).lower()[:2]
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


LARGEST_PLAIN = 1e15  # larger numbers (a wrong coordinate in a file, say) are written 1.2E27


def format_number(value: float, lang: str, digits: int = 2, fixed: bool = False) -> str:
    """A number for display: grouped thousands, at most ``digits`` decimals (exactly ``digits``
    when ``fixed``); a huge number in scientific notation, and infinity or "not a number" as
    the symbols ∞ and NaN."""
    lang = check_language(lang)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else "∞" if value > 0 else "-∞"
    if abs(value) >= LARGEST_PLAIN:
        from babel.numbers import format_scientific

        return format_scientific(value, format="0.###E0", locale=_locale(lang))
    return _pattern(digits, fixed).apply(value, _locale(lang))


@cache
def _locale(lang: str) -> Locale:
    from babel import Locale

    return Locale.parse(lang)


@cache
def _pattern(digits: int, fixed: bool = False) -> NumberPattern:
    """Grouped thousands, at most (or, ``fixed``, exactly) ``digits`` decimals (parsed once:
    formatting is on hot paths)."""
    from babel.numbers import parse_pattern

    return parse_pattern("#,##0" + ("." + ("0" if fixed else "#") * digits if digits else ""))


def format_percent(share: float, lang: str, digits: int = 1, fixed: bool = False) -> str:
    """A share (0–1) as a percentage: ``12.5%`` in English, ``12,5 %`` in French (narrow
    non-breaking space); exactly ``digits`` decimals when ``fixed``."""
    number = format_number(share * 100, lang, digits, fixed)
    return f"{number}\u202f%" if check_language(lang) == "fr" else f"{number}%"


def format_day(value: dt.date, lang: str) -> str:
    """A date for display: ``2026-11-22`` in English, ``22/11/2026`` in French."""
    if check_language(lang) == "fr":
        from babel.dates import format_date

        return format_date(value, format="dd/MM/yyyy", locale="fr")
    return value.isoformat()


def format_time(iso: str, lang: str) -> str:
    """A stored UTC time (ISO 8601) as the locale's date and the time of day: ``24/11/2026 00:58``."""
    moment = dt.datetime.fromisoformat(iso)
    return f"{format_day(moment.date(), lang)} {moment:%H:%M}"


class Term(str):
    """A catalogue key used as a message parameter: it is shown translated (``Term("types.int")``)."""


def _display(value: object, lang: str) -> object:
    if isinstance(value, Term):
        return t(str(value), lang)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return format_number(int(value), lang, 0)
    if isinstance(value, numbers.Real):
        return format_number(float(value), lang)
    if isinstance(value, dt.datetime):
        return format_day(value.date(), lang)
    if isinstance(value, dt.date):
        return format_day(value, lang)
    return value


_FRENCH_SPACES = (("« ", "«\u00a0"), (" »", "\u00a0»"), (" :", "\u00a0:"), (" ;", "\u202f;"),
                  (" ?", "\u202f?"), (" !", "\u202f!"))


def french_spacing(text: str) -> str:
    """French typography: no line break inside « » or before : ; ? ! (non-breaking spaces)."""
    for plain, fixed in _FRENCH_SPACES:
        text = text.replace(plain, fixed)
    return text


def t(key: str, lang: str | None = None, **params: object) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in and formatted for the language."""
    lang = check_language(lang)
    text = catalogue(lang).get(key)
    if text is None:
        raise KeyError(f"no message {key!r} in the {lang} catalogue")
    if lang == "fr":
        text = french_spacing(text)
    return text.format(**{name: _display(value, lang) for name, value in params.items()})


def both(key: str, **params: object) -> dict[str, str]:
    """The message in every language, e.g. for a finding stored with a version."""
    return {lang: t(key, lang, **params) for lang in LANGUAGES}
