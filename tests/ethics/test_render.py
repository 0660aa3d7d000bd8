"""The ethics report as a page: every section, four plots each with its numbers, nobody's
identity, nothing fetched from anywhere, the same bytes for the same figures."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tactful.reports.ethics import figures, plotting, render_ethics
from tactful.service import Tactful
from tests.ethics.store import EMAIL, NAME, PEOPLE, PERSON, WEEKS, Built

SECTIONS = ["audit", "consent", "rights", "guardrails", "recommenders", "method"]


@pytest.fixture
def report(service: Tactful, history: Built) -> dict[str, Any]:
    return service.ethics.gather(WEEKS)


@pytest.fixture
def page(service: Tactful, report: dict[str, Any]) -> str:
    return service.ethics.render(report)


class _Page(HTMLParser):
    """What a test needs of the page: ids, links, sources, style attributes, svg count."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sources: list[str] = []
        self.styled: list[str] = []
        self.svgs = 0
        self.figures = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a":
            self.links.append(str(found.get("href")))
        for name in ("src", "xlink:href", "action"):
            if found.get(name):
                self.sources.append(str(found[name]))
        if "style" in found:
            self.styled.append(tag)
        self.svgs += tag == "svg"
        self.figures += tag == "figure"


def _parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_every_section_is_there_with_its_contents_entry(page: str) -> None:
    parsed = _parsed(page)
    for section in SECTIONS:
        assert section in parsed.ids
        assert f"#{section}" in parsed.links
    assert all(link.startswith("#") for link in parsed.links)
    assert page.count("<h2") == len(SECTIONS) + 1  # and the contents


def test_four_plots_each_in_a_figure_with_a_caption_and_its_numbers(page: str) -> None:
    parsed = _parsed(page)
    assert parsed.svgs == 4
    assert parsed.figures == 4
    assert page.count("<figcaption>") == 4
    assert page.count('role="img" aria-label=') == 4
    # The numbers each plot draws are in a table: consent shares, handling days, held-back
    # items, held messages.
    assert "Table 2a. % granted at the end of each week" in page
    assert ">4.6</td>" in page  # access p90
    assert ">15.5</td>" in page  # complaints p90
    assert ">20</td>" in page  # sensitive items held back
    assert "email: 2, sms: 1" in page  # held for lack of consent


def test_the_figures_are_shown(page: str) -> None:
    text = re.sub(r"<svg.*?</svg>", "", page, flags=re.DOTALL)
    assert "2 of 4 checks crossed their threshold" in text
    assert "Every crossed check (2); the 2 within their thresholds are in the full report" in text
    assert "<strong>not acknowledged</strong>" in text
    assert "GET /v1/fairness-audits/" in text
    assert "Self-excluded from gambling" in text
    assert "gpc: 1, web form: 1" not in text  # methods are shown as stored
    assert "gpc: 1, web_form: 1" in text
    assert "91.9%" in text  # personalization.explicit at the end: 34 of 37


def test_no_person_appears_anywhere(page: str, report: dict[str, Any]) -> None:
    data = json.dumps(report)
    for text in (page, data):
        for needle in (PERSON, EMAIL, NAME, "zq7731", "Quentin", "Zebulon"):
            assert needle not in text
        for person in PEOPLE:
            assert not re.search(rf"(?<![\w.-]){re.escape(person)}(?![\w-])", text), person


def test_nothing_is_fetched_from_anywhere(page: str) -> None:
    parsed = _parsed(page)
    assert all(source.startswith("#") for source in parsed.sources)
    assert not re.search(r"https?:|//[a-z0-9]|url\((?!#)|@import", page, flags=re.IGNORECASE)
    assert "<script" not in page
    # A strict Content-Security-Policy blocks style attributes: the plots use none.
    assert parsed.styled == []
    assert re.findall(r"<style[^>]*>", page) == ["<style>"]


def test_the_page_is_printable(page: str) -> None:
    assert "@page { size: A4" in page
    assert "break-before: page" in page


def test_the_same_figures_give_the_same_bytes(report: dict[str, Any], page: str) -> None:
    assert render_ethics(report) == page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_words_from_the_store_are_escaped(service: Tactful, report: dict[str, Any]) -> None:
    report = json.loads(json.dumps(report))
    report["controller"] = "<script>alert(1)</script> & Co"
    report["audit"]["checks"][0]["message"] = "<b>bold</b>"
    report["guardrails"]["decisions"]["held_back"][0]["reason"] = "$x$ <i>"
    page = service.ethics.render(report)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<i>" not in page


def test_an_empty_store_has_no_plot_but_every_section(service: Tactful) -> None:
    page = service.ethics.render(service.ethics.gather(2))
    assert "No audit has been run." in page
    assert "No request or complaint was completed in the period" in page
    assert page.count("<svg") == 1  # consent: the shop's people made their choices
    for section in SECTIONS:
        assert f'id="{section}"' in page


def test_the_plots_can_be_drawn_to_png(report: dict[str, Any], tmp_path: Any) -> None:
    with plotting():
        for name, fig in figures(report).items():
            path = tmp_path / f"{name}.png"
            fig.savefig(path, dpi=80)
            assert path.stat().st_size > 5000
