"""Languages of the pages: choosing one per request, its message catalogue, and dates and
numbers written the way its readers write them.

The English text is the message id (gettext's convention), so English needs no catalogue of
its own and an untranslated message still reads as English. Catalogues are gettext `.po`
files under `tactful/locales`, read at start (no compiled `.mo` file to keep in step);
`messages.pot` lists every message of the pages and is made by `scripts/messages.py`.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

DEFAULT = "en"
# English first; every other language needs a complete catalogue (tests/web/test_catalogue).
LOCALES: tuple[str, ...] = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
CATALOGUES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue of a supported language (English: the message ids themselves)."""
    if locale == DEFAULT:
        return gettext.NullTranslations()
    path = CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    # A fuzzy entry is a guess awaiting review: shown in English until someone confirms it.
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_for(locale: str) -> Callable[..., str]:
    """`_("Saved %(n)s items.", n=3)`: translated, then filled in (placeholders by name)."""
    catalogue = translations(locale)

    def translate(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return translate


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an Accept-Language header, most wanted first (RFC 9110 §12.5.4)."""
    if not header:
        return []
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(wanted)]


def supported(tag: str | None) -> str | None:
    """The supported language a tag asks for (`fr-CA` is `fr`), or None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LOCALES else None


def negotiate(chosen: str | None, remembered: str | None, accept_language: str | None) -> str:
    """The page language: one chosen on the page, else the one remembered from an earlier
    choice, else the browser's most wanted supported one, else English."""
    for tag in (chosen, remembered, *parse_accept_language(accept_language)):
        found = supported(tag)
        if found is not None:
            return found
    return DEFAULT


class Formats:
    """Dates, numbers and shares as a reader of `locale` writes them."""

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse(locale)

    def date(self, value: date | datetime | str | None) -> str:
        moment = _moment(value)
        return "" if moment is None else format_date(moment, format="medium", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        moment = _moment(value)
        if moment is None:
            return ""
        if not isinstance(moment, datetime):
            return format_date(moment, format="medium", locale=self.locale)
        return format_datetime(moment, format="medium", locale=self.locale, tzinfo=moment.tzinfo)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "\u2013"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "\u2013"
        # The locale's own pattern (French puts a space before the sign), with our digits.
        pattern = self.locale.percent_formats[None].pattern.replace(
            "#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1
        )
        return format_percent(value, format=pattern, locale=self.locale)

    def filters(self) -> Mapping[str, Callable[..., str]]:
        return {
            "date": self.date,
            "datetime": self.datetime,
            "number": self.number,
            "percent": self.percent,
        }


def _moment(value: date | datetime | str | None) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value
