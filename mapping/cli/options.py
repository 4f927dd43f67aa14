"""Option values checked before a command runs, refused with a message in the chosen language.

Click's own messages are in English; these types fail with :class:`OptionValueError`, whose
message comes from the catalogues (``option.*``) in the language of ``--lang`` (an eager
option, so it is known before any other value is converted), or of ``BORDERMAP_LANG``.
A refused value exits with 1, like every setting bordermap refuses.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from typing import IO, Any

import click

from ..escape import terminal_text
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, LARGEST_PLAIN, format_number, t
from ..scoring.selection import SelectionError, border_code, country_code

EXIT_REFUSED = 1
INT64_MAX = 2**63 - 1
MAX_BUDGET_USD = 1e12
MAX_SAMPLES = 1_000_000
MAX_POSTS = 1_000_000
CONCENTRATION_RANGE = (0.001, 1e6)
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # English thousands: 1,000,000.5
SEPARATORS = str.maketrans("", "", " _\u00a0\u202f'")  # thousands written 1 000 000, 1_000_000


def language(ctx: click.Context | None) -> str:
    """The language of the command being parsed: ``--lang`` when already known, else
    ``BORDERMAP_LANG``, else English."""
    chosen = ctx.params.get("lang") if ctx is not None else None
    chosen = chosen or (os.environ.get("BORDERMAP_LANG") or "").lower()[:2]
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class OptionValueError(click.BadParameter):
    """A refused option value, told in the command's language; exit code 1."""

    exit_code = EXIT_REFUSED

    def __init__(self, reason: str, ctx: click.Context | None, param: click.Parameter | None,
                 **params: object) -> None:
        self.lang = language(ctx)
        self.reason = t(f"option.reason.{reason}", self.lang, **params)
        super().__init__(self.reason, ctx, param)

    def _option(self) -> str:
        if self.param is None:
            return "-"
        if isinstance(self.param, click.Option):
            return "/".join(self.param.opts)
        return self.param.human_readable_name

    def format_message(self) -> str:
        return t("option.invalid", self.lang, option=self._option(), reason=self.reason)

    def show(self, file: IO[Any] | None = None) -> None:
        command = self.ctx.command_path if self.ctx is not None else "bordermap"
        click.echo(terminal_text(self.format_message()), err=True)  # the value may hold escapes
        click.echo(t("option.hint", self.lang, command=command), err=True)


class CheckedType(click.ParamType):
    """A click type whose ``fail`` tells why in the catalogue's words."""

    def refuse(self, reason: str, param: click.Parameter | None, ctx: click.Context | None,
               **params: object) -> OptionValueError:
        return OptionValueError(reason, ctx, param, **params)


class Number(CheckedType):
    """A finite number from ``low`` to ``high`` (``low`` itself excluded when ``low_open``), whole
    when ``integer``. Accepts ``1e6``, ``1 000 000``, ``1_000_000``, English ``1,000,000`` and,
    in French, a decimal comma (``2,5``); refuses ``inf``, ``nan`` and text."""

    def __init__(self, low: float, high: float, *, integer: bool = False, low_open: bool = False,
                 unit: str = "") -> None:
        self.low, self.high, self.integer, self.low_open, self.unit = low, high, integer, low_open, unit
        self.name = "integer" if integer else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None:
            number = self._parse(text, language(ctx))
            if number is None:
                raise self.refuse("not_whole" if self.integer else "not_a_number", param, ctx, value=text)
        if not math.isfinite(number):
            raise self.refuse("not_finite", param, ctx, value=text)
        if self.integer and not float(number).is_integer():
            raise self.refuse("not_whole", param, ctx, value=text)
        too_low = number <= self.low if self.low_open else number < self.low
        if too_low or number > self.high:
            lang = language(ctx)
            unit = f" {self.unit}" if self.unit else ""
            raise self.refuse("above" if self.low_open else "between", param, ctx, value=text,
                              low=_limit(self.low, lang), high=_limit(self.high, lang), unit=unit)
        return int(number) if self.integer else float(number)

    def _parse(self, text: str, lang: str) -> float | None:
        plain = text.translate(SEPARATORS)
        if GROUPED.fullmatch(plain) and lang == "en":
            plain = plain.replace(",", "")
        elif plain.count(",") == 1 and "." not in plain and lang == "fr":
            plain = plain.replace(",", ".")
        if self.integer:
            try:
                return int(plain)  # exact, however large: refused by the range, not rounded into it
            except ValueError:
                pass
        try:
            return float(plain)
        except ValueError:
            return None


def _limit(value: float, lang: str) -> str:
    """A bound as the language writes it, with every decimal it has (0.001, not 0)."""
    whole = float(value).is_integer()
    if whole and value >= LARGEST_PLAIN:  # every digit, not 9.223E18
        return str(int(value))
    return format_number(int(value) if whole else value, lang, 0 if whole else 6)


class CodeCount(CheckedType):
    """``CODE=N``: a code as ``read_code`` keeps it (``SelectionError`` when it is not one) and a
    whole number of posts (0 to 1,000,000); refused with the catalogue's ``refusal``."""

    def __init__(self, name: str, read_code: Callable[[str], str], refusal: str) -> None:
        self.name, self.read_code, self.refusal = name, read_code, refusal

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        text, _, number = str(value).partition("=")
        number = number.strip()
        try:
            code = self.read_code(text)
        except SelectionError:
            code = None
        if code is None or not number.isdigit() or int(number) > MAX_POSTS:
            raise self.refuse(self.refusal, param, ctx, value=str(value), high=MAX_POSTS)
        return code, int(number)


class MinutesList(CheckedType):
    """Travel times in minutes separated by commas (``60,120``): each from 1 to 10,080 (a week)."""

    name = "minutes"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        try:
            times = tuple(float(part) for part in str(value).replace(";", ",").split(",") if part.strip())
        except ValueError:
            times = ()
        if not times or not all(math.isfinite(m) and 1 <= m <= 10_080 for m in times):
            raise self.refuse("minutes_list", param, ctx, value=str(value))
        return tuple(sorted(set(times)))


class ModeMix(CheckedType):
    """Shares of travel modes, ``foot=0.6,motorbike=0.3,vehicle=0.1`` (modes left out: 0)."""

    name = "mode=share"
    MODES = ("foot", "motorbike", "vehicle")

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dict[str, float]:
        if isinstance(value, dict):
            return value
        shares: dict[str, float] = {}
        for part in str(value).replace(";", ",").split(","):
            mode, _, share = part.partition("=")
            try:
                number = float(share)
            except ValueError:
                number = math.nan
            if mode.strip() not in self.MODES or not (math.isfinite(number) and 0 <= number <= 1):
                raise self.refuse("mode_mix", param, ctx, value=str(value), modes=", ".join(self.MODES))
            shares[mode.strip()] = number
        return {mode: shares.get(mode, 0.0) for mode in self.MODES}


BUDGET = Number(0, MAX_BUDGET_USD, low_open=True, unit="USD")
SAMPLES = Number(1, MAX_SAMPLES, integer=True)
CONCENTRATION = Number(*CONCENTRATION_RANGE)
POSTS = Number(1, MAX_POSTS, integer=True)
SEED = Number(0, INT64_MAX, integer=True)
VERSION = Number(1, INT64_MAX, integer=True)
COUNTRY_COUNT = CodeCount("ISO3=N", country_code, "country_count")
BORDER_COUNT = CodeCount("AAA-BBB=N", border_code, "border_count")  # either order: MLI-MRT


FULL_PRECISION = click.option(
    "--full-precision", is_flag=True,
    help="Write sensitive layers at full precision (only for a user cleared for them; recorded in "
         "the audit log). Default: coarsened to a 10 km grid, confidential layers left out.")
AS_USER = click.option("--as-user", metavar="NAME",
                       help="Write what the store's account NAME may see (default: you, the local operator).")
