"""The message catalogue holds every text of the pages, and French translates every one of
them with the same placeholders (what `scripts/messages.py check` reports)."""

from __future__ import annotations

from tactful.web import catalogue
from tactful.web.i18n import gettext_for


def test_every_page_text_is_in_the_catalogue_and_translated() -> None:
    report = catalogue.check()
    assert report.clean, "\n".join(report.lines())


def test_the_catalogue_is_used_by_the_pages() -> None:
    wanted = [m.id for m in catalogue.extract() if m.id and isinstance(m.id, str)]
    assert len(wanted) > 500
    french = gettext_for("fr")
    english = gettext_for("en")
    translated = [m for m in wanted if french(m) != m]
    # Names and codes may read the same in both languages; almost nothing else may.
    assert len(translated) / len(wanted) > 0.95
    assert all(english(m) == m for m in wanted)
    assert french("Privacy Center") == "Espace confidentialité"


def test_a_stale_catalogue_is_reported(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    extracted = catalogue.extract()
    extracted.add("A message no catalogue has seen yet", None, [("web/new.py", 1)])
    monkeypatch.setattr(catalogue, "extract", lambda: extracted)
    report = catalogue.check()
    assert report.stale_template
    assert "A message no catalogue has seen yet" in report.missing["fr"]
    assert not report.clean
