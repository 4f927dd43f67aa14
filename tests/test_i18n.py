"""The French and English catalogues stay complete and in step; numbers and dates follow the locale."""

from __future__ import annotations

import datetime as dt
import string

import pytest

from mapping.i18n import catalogue, format_day, format_number, format_percent, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    english, french = catalogue("en"), catalogue("fr")
    assert set(english) == set(french)
    for key in english:
        assert placeholders(english[key]) == placeholders(french[key]), key


def test_french_numbers_and_dates():
    assert format_number(38000, "fr", 0).replace("\u202f", " ") == "38 000"
    assert format_number(0.72, "fr") == "0,72"
    assert format_number(38000, "en", 0) == "38,000"
    assert format_day(dt.date(2026, 11, 22), "fr") == "22/11/2026"
    assert format_day(dt.date(2026, 11, 22), "en") == "2026-11-22"


def test_messages_format_their_parameters_for_the_language():
    text = t("validation.near_duplicate", "fr", distance_m=1234.5, other="Gogui")
    assert "1\u202f234,5 m" in text and "«\u00a0Gogui\u00a0»" in text  # no break inside « »


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        t("cli.summary", "de")


def test_numbers_from_hostile_files_are_written_not_refused():
    assert format_number(1e308, "fr") == "1E308" and format_number(-1e27, "en") == "-1E27"
    assert (format_number(float("inf"), "en"), format_number(float("nan"), "fr")) == ("∞", "NaN")


def test_percentages_follow_each_language():
    assert format_percent(0.125, "en") == "12.5%"
    assert format_percent(0.2, "fr") == "20\u202f%"
