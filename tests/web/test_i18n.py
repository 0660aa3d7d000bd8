"""The pages' languages: which one a request gets, its catalogue (a fuzzy guess is never
shown), and dates and numbers written the way its readers write them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tactful.web import i18n
from tactful.web.i18n import (
    DEFAULT,
    LOCALES,
    Formats,
    gettext_for,
    negotiate,
    parse_accept_language,
    supported,
    translations,
)
from tactful.web.sessions import LANGUAGE_COOKIE
from tactful.web.texts import Localizer

pytest_plugins = ["tests.trained_shop"]


# -- choosing the language -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("chosen", "remembered", "header", "expected"),
    [
        ("fr", "en", "en", "fr"),  # chosen on the page beats everything
        ("en", "fr", "fr", "en"),
        (None, "fr", "en-US,en;q=0.9", "fr"),  # then the remembered choice
        (None, None, "de, fr-CA;q=0.8, en;q=0.5", "fr"),  # then the browser, best first
        (None, None, "en;q=0.4, fr;q=0.9", "fr"),  # by quality, not by position
        (None, None, "fr;q=0.5, en;q=0.5", "fr"),  # a tie: the header's order
        (None, None, "fr-CA", "fr"),  # a regional variant is its language
        (None, None, "FR_ca", "fr"),
        ("de", "es", "it, pt-BR", "en"),  # nothing supported: English
        ("de", "fr", None, "fr"),  # an unsupported choice falls through
        ("", "", "", "en"),
        (None, None, "fr;q=0", "en"),  # q=0: "not this one"
        (None, None, "*", "en"),
        (None, None, "en;q=abc, fr", "fr"),  # an unreadable quality counts as 0
    ],
)
def test_negotiate(chosen: str | None, remembered: str | None, header: str, expected: str) -> None:
    assert negotiate(chosen, remembered, header) == expected


def test_parse_accept_language_edge_cases() -> None:
    assert parse_accept_language(None) == []
    assert parse_accept_language("") == []
    assert parse_accept_language(",, ,") == []
    assert parse_accept_language("fr-CA, en;q=0.8") == ["fr-ca", "en"]
    assert parse_accept_language(" fr ; q=0.7 , de") == ["de", "fr"]
    assert parse_accept_language("en;Q=0.3, fr;q=0.6") == ["fr", "en"]  # Q is q
    assert parse_accept_language("de;q=0.5, en;q=0.5, fr;q=0.5") == ["de", "en", "fr"]
    assert parse_accept_language("*, fr;q=0.1") == ["fr"]
    assert parse_accept_language("fr;q=0, en;q=-1, de;q=x") == []
    assert parse_accept_language("es;level=1;q=0.9, it") == ["it", "es"]


def test_supported_languages() -> None:
    assert LOCALES[0] == DEFAULT == "en"
    assert [supported(t) for t in ("fr", "fr-BE", "fr_FR", " FR ", "en-GB")] == [
        "fr",
        "fr",
        "fr",
        "fr",
        "en",
    ]
    assert [supported(t) for t in (None, "", "frr", "de", "f")] == [None] * 5


def test_a_page_asks_the_same_order_the_functions_do(client: TestClient) -> None:
    def lang(**kwargs: object) -> str:
        page = client.get("/", **kwargs)  # type: ignore[arg-type]
        assert page.status_code == 200
        return page.text.split('<html lang="', 1)[1].split('"', 1)[0]

    assert lang(headers={"Accept-Language": "fr-CA,en;q=0.5"}) == "fr"
    assert lang(headers={"Accept-Language": "de"}) == "en"
    client.cookies.set(LANGUAGE_COOKIE, "fr")
    assert lang(headers={"Accept-Language": "en"}) == "fr"
    assert lang(params={"lang": "en"}, headers={"Accept-Language": "fr"}) == "en"


# -- dates and numbers --------------------------------------------------------------------------
def test_dates_and_numbers_are_written_as_each_language_writes_them() -> None:
    en, fr = Formats("en"), Formats("fr")
    moment = "2026-09-01T14:30:00+00:00"
    assert en.date(moment) == "Sep 1, 2026"
    assert fr.date(moment) == "1 sept. 2026"
    assert en.date(date(2026, 9, 1)) == "Sep 1, 2026"
    assert en.datetime(moment) == "Sep 1, 2026, 2:30:00\u202fPM"
    assert fr.datetime(datetime(2026, 9, 1, 14, 30, tzinfo=UTC)) == "1 sept. 2026, 14:30:00"
    assert fr.datetime(date(2026, 9, 1)) == "1 sept. 2026"  # a day has no time to show
    # Thousands and decimals: a comma and a point in English; a narrow no-break space and a
    # comma in French.
    assert en.number(1234.5, 1) == "1,234.5"
    assert fr.number(1234.5, 1) == "1\u202f234,5"
    assert (en.number(1234567), fr.number(1234567)) == ("1,234,567", "1\u202f234\u202f567")
    assert en.number(0.125, 2) == "0.12"  # half to even, as Babel rounds
    assert en.percent(0.125, 1) == "12.5%"
    assert fr.percent(0.125, 1).startswith("12,5")
    assert fr.percent(0.125, 1).endswith("%")


def test_nothing_to_format_is_a_dash_or_empty() -> None:
    for formats in (Formats("en"), Formats("fr")):
        assert formats.number(None) == formats.percent(None) == "\u2013"
        for nothing in (None, "", "not a date"):
            assert formats.date(nothing) == formats.datetime(nothing) == ""
        assert set(formats.filters()) == {"date", "datetime", "number", "percent"}


# -- catalogues ---------------------------------------------------------------------------------
def test_the_french_catalogue_loads_and_gives_each_confirmed_translation() -> None:
    catalogue = translations("fr")
    assert translations("fr") is catalogue  # read once
    assert translations(DEFAULT).gettext("Privacy Center") == "Privacy Center"
    path = i18n.CATALOGUES / "fr" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as source:
        entries = [m for m in read_po(source, locale="fr") if m.id and isinstance(m.id, str)]
    assert entries
    for entry in entries:
        expected = entry.string if entry.string and not entry.fuzzy else entry.id
        assert catalogue.gettext(entry.id) == expected
    # A message the catalogue lacks reads as its English id.
    assert catalogue.gettext("A sentence nobody wrote.") == "A sentence nobody wrote."


PO = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: fr\n"

msgid "Privacy Center"
msgstr "Espace confidentialité (essai)"

#, fuzzy
msgid "Operator Console"
msgstr "Console de l'opérateur (à revoir)"

#, python-format
msgid "Because you bought “%(title)s”."
msgstr "Parce que vous avez acheté « %(title)s »."

#, fuzzy
msgid "Basic personalization: only purchases and ratings may be used."
msgstr "Personnalisation de base (à revoir)."

msgid "below the floor of %(threshold)s"
msgstr "sous le plancher de %(threshold)s"

#, python-format
msgid "%(said)s; %(limit)s."
msgstr "%(said)s ; %(limit)s."
"""


@pytest.fixture
def catalogue_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A French catalogue of our own in place of the shipped one, read by the same code."""
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / f"{i18n.DOMAIN}.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUES", tmp_path)
    translations.cache_clear()
    try:
        yield tmp_path
    finally:
        monkeypatch.undo()
        translations.cache_clear()


@pytest.mark.usefixtures("catalogue_dir")
def test_a_confirmed_translation_is_used_and_a_fuzzy_one_is_not() -> None:
    t = gettext_for("fr")
    assert t("Privacy Center") == "Espace confidentialité (essai)"
    assert t("Operator Console") == "Operator Console"  # fuzzy: shown in English
    assert t("Because you bought “%(title)s”.", title="Socks") == (
        "Parce que vous avez acheté « Socks »."
    )


@pytest.mark.usefixtures("catalogue_dir")
def test_the_domains_sentences_come_out_of_the_catalogue() -> None:
    domain = Localizer(gettext_for("fr"), "fr")
    bought = {
        "reason": "Because you bought “Socks”.",
        "reason_code": "because.purchase",
        "reason_args": {"title": "Socks"},
    }
    assert domain.reason(bought) == "Parce que vous avez acheté « Socks »."
    basic = "Basic personalization: only purchases and ratings may be used."
    assert domain.level_reason(basic) == basic  # its translation is fuzzy
    check = {
        "check": "coverage",
        "message": "12.5% of the catalog was recommended at least once; below the floor of 90.0%.",
    }
    # Untranslated parts stay English; the numbers are written the French way throughout.
    assert domain.check(check) == (
        "12,5\xa0% of the catalog was recommended at least once ; sous le plancher de 90,0\xa0%."
    )


def test_the_shipped_catalogue_is_back_after_a_test_swapped_it() -> None:
    assert Path(i18n.__file__).resolve().parent.parent / "locales" == i18n.CATALOGUES
    assert translations("fr").gettext("Privacy Center") != "Espace confidentialité (essai)"
