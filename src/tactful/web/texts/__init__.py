"""Texts the domain writes (reasons, signals, controls, level reasons, audit and messaging
checks), in the reader's language.

The domain records its sentences in English, as stored evidence. A page shows them through
a `Localizer`, which rebuilds each sentence in the reader's language:

- an explanation's reason and a "why" control from the code and arguments recorded beside
  the English (`reason_code`/`reason_args`, a control's `code`/`args`);
- a level reason, a fairness check's message and a messaging check's detail from the
  English sentence itself: each is matched against a closed set of English templates (a
  template's placeholders match its variable parts), then translated and filled in again.

Either way the English template is first filled with the same values and compared with the
recorded sentence: a translation is shown only when its English original is exactly what
was recorded. Anything else (a record older than its code, a sentence the domain has since
reworded, an operator's own text) is shown as it was written.

Every English template in this package is marked for the catalogue with `N_()`; the tests
hold each one to the sentence the domain writes, so the two cannot drift apart. The templates
are kept by subject: `reasons` (explanations, signals, controls), `levels`, `checks` (the
fairness audit's, and every check's name) and `messaging`; `_match` reads a sentence back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from babel.core import Locale
from babel.numbers import format_decimal, format_percent

from tactful.web.i18n import DEFAULT
from tactful.web.texts._match import (
    N_,
    NUMERIC,
    Parsed,
    Part,
    Sentence,
    Translate,
    parse,
    render,
)
from tactful.web.texts.checks import AUDIT_CHECKS, CHECK_NAMES
from tactful.web.texts.levels import LEVEL_REASONS
from tactful.web.texts.messaging import ALL_MESSAGE_CHECKS, MESSAGE_CHECKS
from tactful.web.texts.reasons import CONTROLS, NO_VERB, REASONS, SIGNALS, VERBS

__all__ = [
    "AUDIT_CHECKS",
    "CHECK_NAMES",
    "CONTROLS",
    "LEVEL_REASONS",
    "MESSAGE_CHECKS",
    "NO_VERB",
    "NUMERIC",
    "N_",
    "REASONS",
    "SIGNALS",
    "VERBS",
    "Localizer",
    "Parsed",
    "Part",
    "Sentence",
    "Translate",
    "parse",
    "render",
]


def _english(message: str, **values: Any) -> str:
    return message % values if values else message


def _values(args: object) -> dict[str, str] | None:
    if args is None:
        return {}
    if not isinstance(args, Mapping) or not all(isinstance(v, str) for v in args.values()):
        return None
    return {str(k): v for k, v in args.items()}


def _coded_template(
    templates: Mapping[str, str], code: object, args: object
) -> tuple[str, dict[str, str]] | None:
    """The template a recorded code stands for and the values recorded with it; None when
    the code is unknown or the values are not text (the English is then shown as written)."""
    template = templates.get(code) if isinstance(code, str) else None
    values = _values(args)
    return None if template is None or values is None else (template, values)


class Localizer:
    """`domain` in every template: `domain.reason(item.explanation)` and the like.

    `t` translates and fills in a message (`i18n.gettext_for`); `locale` writes the numbers
    of check messages the reader's way (English leaves them as recorded)."""

    def __init__(self, t: Translate, locale: str = DEFAULT) -> None:
        self.t = t
        self.locale = Locale.parse(locale)
        self._english = locale == DEFAULT

    # -- recorded with a code -------------------------------------------------------------
    def reason(self, explanation: Mapping[str, Any]) -> str:
        """An explanation's reason (a recorded item's `explanation` or a `why` item)."""
        written = str(explanation.get("reason", ""))
        code = explanation.get("reason_code")
        found = _coded_template(REASONS, code, explanation.get("reason_args"))
        if found is None:
            return written
        template, args = found
        if code == "overall":
            return self._overall(template, args.get("signals"), written)
        return self._coded(template, args, written)

    def _overall(self, template: str, signals: str | None, written: str) -> str:
        codes = [c for c in (signals or "").split(",") if c]
        if any(c not in VERBS for c in codes):
            return written
        verbs = sorted(VERBS[c] for c in codes)
        if _english(template, kinds=", ".join(verbs) or NO_VERB) != written:
            return written
        kinds = ", ".join(self.t(v) for v in verbs) if verbs else self.t(NO_VERB)
        return self.t(template, kinds=kinds)

    def _coded(self, template: str, args: Mapping[str, str], written: str) -> str:
        try:
            if _english(template, **args) != written:
                return written
        except (KeyError, TypeError, ValueError):
            return written
        return self.t(template, **args) if args else self.t(template)

    def signal(self, signal: str) -> str:
        """A kind of signal in words ("what you bought"); an unknown one as its code."""
        words = SIGNALS.get(signal)
        return signal if words is None else self.t(words)

    def control(self, control: Mapping[str, Any]) -> str:
        """A "why" control's label."""
        label = str(control.get("label", ""))
        found = _coded_template(CONTROLS, control.get("code"), control.get("args"))
        return label if found is None else self._coded(*found, label)

    # -- recorded as English sentences only -----------------------------------------------
    def level_reason(self, reason: str) -> str:
        """Why a personalization level applies."""
        return self._sentence(reason, LEVEL_REASONS)

    def check(self, check: Mapping[str, Any]) -> str:
        """A fairness audit check's `message` or a messaging check's `detail`."""
        if "message" in check:
            text, tables = str(check.get("message", "")), AUDIT_CHECKS
            name = check.get("check")
        else:
            text, tables = str(check.get("detail", "")), MESSAGE_CHECKS
            name = check.get("name")
        sentences = tables.get(name) if isinstance(name, str) else None
        return text if sentences is None else self._sentence(text, sentences)

    def hold_reason(self, reason: str) -> str:
        """One of a held message's `reasons` (a failed check's detail, without its name)."""
        return self._sentence(reason, ALL_MESSAGE_CHECKS)

    def check_name(self, name: str) -> str:
        """A check by its name (an audit threshold or a messaging rule); unknown: the name."""
        label = CHECK_NAMES.get(name)
        return name if label is None else self.t(label)

    def _sentence(self, text: str, sentences: Sequence[Sentence]) -> str:
        parsed = parse(text, tuple(sentences))
        return text if parsed is None else render(parsed, self.t, self.number)

    def number(self, text: str) -> str:
        """A number as the domain wrote it ("1,234.5", "12.5%"), written the reader's way."""
        if self._english:
            return text
        percent = text.endswith("%")
        digits = text.rstrip("%").replace(",", "")
        try:
            value = Decimal(digits)
        except ArithmeticError:
            return text
        decimals = len(digits.partition(".")[2])
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        if percent:
            # The locale's own percent pattern (French puts a space before %), to `decimals`.
            shape = self.locale.percent_formats[None].pattern.replace("#,##0", pattern, 1)
            return format_percent(value / 100, format=shape, locale=self.locale)
        return format_decimal(value, format=pattern, locale=self.locale)
