"""The manipulative copy check: dark patterns in marketing copy, each with its span and why.

Rules are English regular expressions and lexicons (`copy_patterns`), run on a normalised
copy of the text (NFKC, casefolded, plain quotes), with context: a negation ("no hidden
fees") cancels a fee claim, and facts the sender states (a real stock count, a real deadline)
make a scarcity or deadline claim fair. Spans always point into the original text, so a
finding after an emoji or an accented name still underlines the right words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from tactful.errors import FieldError, InvalidInput
from tactful.guardrails.copy_patterns import (
    CANCEL_INFO,
    DATE,
    NEGATION,
    RENEWAL,
    RULES,
    TRIAL,
    CopyPattern,
    Excuse,
)

__all__ = ["MAX_COPY_CHARS", "CopyFacts", "CopyPattern", "Finding", "check_copy"]

MAX_COPY_CHARS = 20_000

_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True, slots=True)
class CopyFacts:
    """What the sender can prove: a real stock count, a real deadline."""

    stock: int | None = None
    deadline: date | datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One dark pattern: which, where (offsets into the original text) and why."""

    pattern: CopyPattern
    start: int
    end: int
    text: str
    why: str

    def as_dict(self) -> dict[str, object]:
        return {
            "pattern": self.pattern.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "why": self.why,
        }


def _normalise(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the original index it came from.

    Character by character, so the index map is exact; NFKC across combining sequences is
    not needed for English rules."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).casefold().translate(_PLAIN)
        out.append(piece)
        origin.extend([i] * len(piece))
    return "".join(out), origin


def _validate(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidInput("Copy must be text.", [FieldError("copy", "not a string")])
    if not text.strip():
        raise InvalidInput("Copy is empty.", [FieldError("copy", "empty")])
    if len(text) > MAX_COPY_CHARS:
        raise InvalidInput(
            f"Copy is {len(text):,} characters; the limit is {MAX_COPY_CHARS:,}.",
            [FieldError("copy", f"longer than {MAX_COPY_CHARS} characters")],
        )
    return text


def check_copy(text: str, *, facts: CopyFacts | None = None) -> list[Finding]:
    """The dark patterns in `text`, in order of position; empty when the copy is fair.

    Raises InvalidInput for empty copy or copy longer than MAX_COPY_CHARS."""
    text = _validate(text)
    facts = facts or CopyFacts()
    norm, origin = _normalise(text)
    dated = facts.deadline is not None or DATE.search(norm) is not None
    findings: list[Finding] = []
    for rule in RULES:
        if rule.excuse is Excuse.STOCK and facts.stock is not None:
            continue
        if rule.excuse is Excuse.DEADLINE and dated:
            continue
        for match in rule.regex.finditer(norm):
            if match.end() <= match.start():
                continue
            if rule.negatable and NEGATION.search(norm, max(0, match.start() - 30), match.start()):
                continue
            findings.append(_finding(text, origin, rule.pattern, match.span(), rule.why))
    findings.extend(_continuity(text, norm, origin))
    findings.sort(key=lambda f: (f.start, f.end, f.pattern))
    return _dedupe(findings)


def _continuity(text: str, norm: str, origin: list[int]) -> list[Finding]:
    trial = TRIAL.search(norm)
    if trial is None or RENEWAL.search(norm) is None or CANCEL_INFO.search(norm) is not None:
        return []
    return [
        _finding(
            text,
            origin,
            CopyPattern.FORCED_CONTINUITY,
            trial.span(),
            "The trial turns into a paid plan and the copy does not say how to cancel.",
        )
    ]


def _finding(
    text: str, origin: list[int], pattern: CopyPattern, span: tuple[int, int], why: str
) -> Finding:
    start = origin[span[0]]
    end = origin[span[1] - 1] + 1
    return Finding(pattern, start, end, text[start:end], why)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per pattern and span: two rules matching the same words say it once."""
    seen: set[tuple[CopyPattern, int, int]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.pattern, f.start, f.end)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
