"""The machinery that reads a domain sentence back from its English: a closed set of English
templates (`Sentence`), whose placeholders match the sentence's variable parts (a `Part` holds
sentences of its own), and `render`, which writes a matched sentence again in the reader's
language.

Every table of templates in this package is built from these pieces; `Localizer` uses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

Translate = Callable[..., str]


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Marks an English template for the catalogue; it is translated where it is shown."""
    return message


_FIELD = re.compile(r"%\((\w+)\)s")
_NUMBER = r"-?\d[\d,]*(?:\.\d+)?%?"
# Placeholders that hold a number as the domain writes it ("0.83", "12.5%", "2,000"):
# written again the reader's way.
NUMERIC = frozenset(
    {"n", "k", "count", "limit", "days", "ratio", "share", "catalog", "threshold", "value"}
)


@dataclass(frozen=True, eq=False)
class Part:
    """A placeholder that holds sentences of its own: one, or a list joined by `separator`.
    `verbatim`: text none of them matches is kept as it is (a time zone's name)."""

    sentences: tuple[Sentence, ...]
    separator: str | None = None
    verbatim: bool = False


@dataclass(frozen=True, eq=False)
class Sentence:
    """An English template (`%(name)s` placeholders) and the parts that are sentences."""

    template: str
    parts: Mapping[str, Part] = field(default_factory=dict)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_source(self, capture=True))


def _source(sentence: Sentence, capture: bool) -> str:
    out, at = [], 0
    for found in _FIELD.finditer(sentence.template):
        out.append(re.escape(sentence.template[at : found.start()]))
        name = found.group(1)
        part = sentence.parts.get(name)
        inner = _part_source(part) if part is not None else _plain(name)
        out.append(f"(?P<{name}>{inner})" if capture else f"(?:{inner})")
        at = found.end()
    out.append(re.escape(sentence.template[at:]))
    return "".join(out)


def _plain(name: str) -> str:
    return _NUMBER if name in NUMERIC else ".+?"


def _part_source(part: Part) -> str:
    if part.verbatim:
        return ".+?"
    one = "(?:" + "|".join(_source(s, capture=False) for s in part.sentences) + ")"
    return one if part.separator is None else f"{one}(?:{re.escape(part.separator)}{one})*"


@dataclass(frozen=True)
class Parsed:
    """A sentence matched: its template and the text of each placeholder (a part's as the
    sentences it holds, or their text where a verbatim part matched none)."""

    sentence: Sentence
    values: Mapping[str, str | tuple[str | Parsed, ...]]


@lru_cache(maxsize=4096)
def parse(text: str, sentences: tuple[Sentence, ...]) -> Parsed | None:
    """The first of `sentences` that `text` is, with its values; None if it is none."""
    for sentence in sentences:
        found = sentence.regex.fullmatch(text)
        if found is None:
            continue
        values: dict[str, str | tuple[str | Parsed, ...]] = {}
        for name, value in found.groupdict().items():
            part = sentence.parts.get(name)
            held = value if part is None else _held(value, part)
            if held is None:
                break
            values[name] = held
        else:
            return Parsed(sentence, values)
    return None


def _held(text: str, part: Part) -> tuple[str | Parsed, ...] | None:
    """The sentences a part's text holds; None when one of them is not a known sentence."""
    pieces: list[str | Parsed] = []
    for piece in text.split(part.separator) if part.separator else [text]:
        sub = parse(piece, part.sentences)
        if sub is None and not part.verbatim:
            return None
        pieces.append(piece if sub is None else sub)
    return tuple(pieces)


def render(parsed: Parsed, t: Translate, number: Callable[[str], str]) -> str:
    """The sentence translated by `t`, its numbers written by `number`."""
    values: dict[str, str] = {}
    for name, value in parsed.values.items():
        if isinstance(value, str):
            values[name] = number(value) if name in NUMERIC else value
            continue
        part = parsed.sentence.parts[name]
        shown = [p if isinstance(p, str) else render(p, t, number) for p in value]
        # The separator is a message too: French puts a no-break space before a semicolon.
        values[name] = t(part.separator).join(shown) if part.separator else "".join(shown)
    return t(parsed.sentence.template, **values) if values else t(parsed.sentence.template)


def sentences(*templates: str, **parts: Part) -> tuple[Sentence, ...]:
    """The templates as sentences, each with the same `parts`."""
    return tuple(Sentence(t, dict(parts)) for t in templates)
