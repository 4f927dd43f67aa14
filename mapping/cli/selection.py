"""Options that choose the posts a command ranks (``--country``, ``--border``) and the
shortlist's limits per country and per border, shared by ``score``, ``sensitivity``,
``shortlist`` and ``export``."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from ..scoring.selection import Selection
from ..scoring.shortlist import ShortlistLimits
from .options import BORDER_COUNT, COUNTRY_COUNT


def selection_options(command: Callable) -> Callable:
    """``--country`` and ``--border``, each repeatable or a comma list."""
    options = [
        click.option("--country", "countries", multiple=True, metavar="ISO3[,ISO3…]",
                     help="Rank only the posts of these countries (repeat, or a comma list: MLI,MRT)."),
        click.option("--border", "borders", multiple=True, metavar="AAA-BBB[,…]",
                     help="Rank only the posts serving these borders (repeat, or a comma list: MLI-MRT). "
                          "Scores are normalised over the selected posts."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def limit_options(command: Callable) -> Callable:
    """Minimum and maximum numbers of shortlisted posts per country and per border."""
    options = [
        click.option("--min-per-country", multiple=True, type=COUNTRY_COUNT, metavar="ISO3=N"),
        click.option("--max-per-country", multiple=True, type=COUNTRY_COUNT, metavar="ISO3=N"),
        click.option("--min-per-border", multiple=True, type=BORDER_COUNT, metavar="AAA-BBB=N",
                     help="At least N shortlisted posts serving this border (repeat for others)."),
        click.option("--max-per-border", multiple=True, type=BORDER_COUNT, metavar="AAA-BBB=N",
                     help="At most N shortlisted posts serving this border (repeat for others)."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def counts(values: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """``--min-per-…``/``--max-per-…`` values (checked by their option types) as a mapping."""
    return dict(values)


def limits(min_per_country: tuple[tuple[str, int], ...], max_per_country: tuple[tuple[str, int], ...],
           min_per_border: tuple[tuple[str, int], ...],
           max_per_border: tuple[tuple[str, int], ...]) -> ShortlistLimits:
    """The four limit options as ``shortlist()`` keyword arguments."""
    return {"min_per_country": counts(min_per_country), "max_per_country": counts(max_per_country),
            "min_per_border": counts(min_per_border), "max_per_border": counts(max_per_border)}


def selection(countries: tuple[str, ...], borders: tuple[str, ...]) -> Selection:
    """The selection of ``--country`` and ``--border`` (a bad code is refused by name)."""
    return Selection.of(countries, borders)
