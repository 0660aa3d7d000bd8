# ruff: noqa: RUF001  (look-alike characters are what these tests feed the check)
"""The manipulative copy check: each pattern with true positives and hard negatives."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tactful.errors import InvalidInput
from tactful.guardrails.copy import MAX_COPY_CHARS, CopyFacts, CopyPattern, check_copy


def patterns(text: str, facts: CopyFacts | None = None) -> set[CopyPattern]:
    return {f.pattern for f in check_copy(text, facts=facts)}


@pytest.mark.parametrize(
    ("pattern", "flagged", "fair"),
    [
        (
            CopyPattern.FALSE_URGENCY,
            ["Hurry! Sale almost over.", "This deal expires in 10 minutes.", "Last chance!"],
            ["Our sale ends on 31 August at 23:59.", "Reminder: your webinar starts at 10:00."],
        ),
        (
            CopyPattern.FALSE_SCARCITY,
            ["Only 2 left in your size.", "12 people are looking at this hotel.", "Going fast!"],
            ["Back in stock in all sizes.", "New colours are here."],
        ),
        (
            CopyPattern.CONFIRMSHAMING,
            ["No thanks, I don't like saving money", "No, I'd rather pay full price"],
            ["No thanks", "No thanks, I'm just browsing", "Maybe later"],
        ),
        (
            CopyPattern.GUILT_APPEAL,
            ["After everything we've done for you, you leave?", "Your kids deserve better."],
            ["Thank you for volunteering with us.", "We've missed you! Here's what's new."],
        ),
        (
            CopyPattern.FEAR_APPEAL,
            ["You could lose everything without cover.", "Hackers are targeting you."],
            ["Two-factor authentication helps protect your account.", "Winter driving tips."],
        ),
        (
            CopyPattern.HIDDEN_COSTS,
            ["Flights from $49* - book", "Get it FREE* today", "Tickets £25 plus booking fees."],
            ["Flights from $79, taxes and fees included.", "Free delivery, no hidden fees."],
        ),
        (
            CopyPattern.FORCED_CONTINUITY,
            ["Start your free trial. Then $14.99/month, billed automatically."],
            [
                "Start your free trial, then $9/month. Cancel anytime in Settings.",
                "Your 7-day trial won't auto-renew.",
            ],
        ),
        (
            CopyPattern.VULNERABILITY_PRESSURE,
            ["Drowning in debt? Cash in minutes.", "Win back your losses with free spins."],
            ["Struggling with bills? Free advice at example.com/help.", "Play responsibly."],
        ),
    ],
)
def test_each_pattern(pattern: CopyPattern, flagged: list[str], fair: list[str]) -> None:
    for text in flagged:
        assert pattern in patterns(text), text
    for text in fair:
        assert patterns(text) == set(), text


def test_findings_say_why_in_one_sentence() -> None:
    (finding,) = check_copy("Only 3 left!")
    assert finding.pattern is CopyPattern.FALSE_SCARCITY
    assert finding.why.endswith(".")
    assert finding.why.count(".") == 1


def test_spans_point_into_the_original_text_after_non_ascii() -> None:
    text = "Zoë’s café 👋 ｆｕｌｌ－width…\nHURRY – only 2 left in Größe M!"
    findings = check_copy(text)
    assert {f.pattern for f in findings} == {
        CopyPattern.FALSE_URGENCY,
        CopyPattern.FALSE_SCARCITY,
    }
    for f in findings:
        assert text[f.start : f.end] == f.text
    assert [f.text for f in findings] == ["HURRY", "only 2 left"]


def test_fullwidth_and_curly_quotes_are_normalised() -> None:
    text = "Ｏｎｌｙ ２ ｌｅｆｔ! Don’t wait."
    findings = check_copy(text)
    assert [f.text for f in findings] == ["Ｏｎｌｙ ２ ｌｅｆｔ", "Don’t wait"]


def test_facts_make_scarcity_and_deadline_fair() -> None:
    assert patterns("Only 3 left of the print.") == {CopyPattern.FALSE_SCARCITY}
    assert patterns("Only 3 left of the print.", CopyFacts(stock=3)) == set()
    assert patterns("Don't wait: registration closes soon.") == {CopyPattern.FALSE_URGENCY}
    fair = CopyFacts(deadline=date(2026, 5, 30))
    assert patterns("Don't wait: registration closes soon.", fair) == set()


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_copy_is_invalid(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        check_copy(text)


def test_too_long_copy_is_invalid() -> None:
    check_copy("a" * MAX_COPY_CHARS)
    with pytest.raises(InvalidInput, match="limit is 20,000"):
        check_copy("a" * (MAX_COPY_CHARS + 1))


@pytest.mark.parametrize(
    "text",
    [
        "Скидки до 50%! Торопитесь!",
        "限时抢购，仅剩2件",
        "عرض لفترة محدودة",
        "🔥🔥🔥 ⏰",
        "\x00\x01\x1b[31mred\x7f",
        "e\u0301\u0301\u0301 ﷽ ß ﬁ",
        "\ud800 lone surrogate",
    ],
)
def test_other_scripts_and_odd_characters_do_not_crash(text: str) -> None:
    for f in check_copy(text):
        assert 0 <= f.start < f.end <= len(text)


def test_non_english_copy_yields_what_the_english_rules_find() -> None:
    assert patterns("Скидки! Only 2 left! 限时") == {CopyPattern.FALSE_SCARCITY}


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=400)
    | st.text(alphabet="only 2 left hurry*$free", max_size=200)
    | st.tuples(st.text(min_size=1, max_size=20), st.integers(0, 1500)).map(lambda t: t[0] * t[1])
)
def test_any_text_gives_spans_inside_it_or_invalid_input(text: str) -> None:
    try:
        findings = check_copy(text)
    except InvalidInput:
        assert not text.strip() or len(text) > MAX_COPY_CHARS
        return
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
