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

Every English template here is marked for the catalogue with `N_()`; the tests hold each
one to the sentence the domain writes, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from babel.core import Locale
from babel.numbers import format_decimal, format_percent

from tactful.web.i18n import DEFAULT

Translate = Callable[..., str]


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Marks an English template for the catalogue; it is translated where it is shown."""
    return message


# -- explanations ("Why am I seeing this?") -------------------------------------------------
REASONS: dict[str, str] = {
    "because.purchase": N_("Because you bought \u201c%(title)s\u201d."),
    "because.rating": N_("Because you rated \u201c%(title)s\u201d."),
    "because.add_to_cart": N_("Because you put in your cart \u201c%(title)s\u201d."),
    "because.click": N_("Because you looked at \u201c%(title)s\u201d."),
    "because.view": N_("Because you viewed \u201c%(title)s\u201d."),
    "because.search": N_("Because you searched for \u201c%(title)s\u201d."),
    # Translators: %(kinds)s is a list of the verbs below ("bought, rated"), or "chose".
    "overall": N_("Picked from what you %(kinds)s overall, not from one item in particular."),
    "popular.off": N_(
        "Popular with shoppers right now. Not based on anything about you: personalization is off."
    ),
    "popular.no_signals": N_(
        "Popular with shoppers right now. We hold nothing about you that your choices let "
        "us use yet."
    ),
    "popular.shown": N_("Popular with shoppers right now. Shown as a popular pick."),
    "editorial.off": N_(
        "An editor\u2019s pick. Not based on anything about you: personalization is off."
    ),
    "editorial.no_signals": N_(
        "An editor\u2019s pick. We hold nothing about you that your choices let us use yet."
    ),
    "editorial.shown": N_("An editor\u2019s pick. Shown as a popular pick."),
    "exploration": N_("Shown to widen your choices: it is outside your usual top picks."),
    "pinned": N_(
        "Placed here by the shop for everyone on this page, not chosen from your data. It "
        "passed the same checks as every other item (your choices, exclusions and sensitive "
        "categories)."
    ),
}
# What the person did, as the verb in "Picked from what you ... overall".
VERBS: dict[str, str] = {
    # Translators: "Picked from what you bought overall".
    "purchase": N_("bought"),
    # Translators: "Picked from what you rated overall".
    "rating": N_("rated"),
    # Translators: "Picked from what you put in your cart overall".
    "add_to_cart": N_("put in your cart"),
    # Translators: "Picked from what you looked at overall".
    "click": N_("looked at"),
    # Translators: "Picked from what you viewed overall".
    "view": N_("viewed"),
    # Translators: "Picked from what you searched for overall".
    "search": N_("searched for"),
}
# Translators: "Picked from what you chose overall" (no kind of signal is named).
NO_VERB = N_("chose")
SIGNALS: dict[str, str] = {
    "purchase": N_("what you bought"),
    "rating": N_("how you rated items"),
    "add_to_cart": N_("what you put in your cart"),
    "click": N_("what you looked at"),
    "view": N_("the pages you viewed"),
    "search": N_("what you searched for"),
}
CONTROLS: dict[str, str] = {
    "withdraw_consent": N_("Stop using my data for \u201c%(title)s\u201d"),
    "level.off": N_("Turn personalization off (nothing about me is used)"),
    "level.basic": N_("Personalize from what I buy and rate"),
    "level.full": N_("Personalize from what I buy, rate, browse and search"),
}


# -- sentences read back from their English ---------------------------------------------------
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
        values[name] = (part.separator or "").join(shown)
    return t(parsed.sentence.template, **values) if values else t(parsed.sentence.template)


def _english(message: str, **values: Any) -> str:
    return message % values if values else message


# Level reasons (consent/levels.py derive_level).
LEVEL_REASONS: tuple[Sentence, ...] = tuple(
    Sentence(text)
    for text in (
        N_("Personalization is off because this person is a minor; minors are never profiled."),
        N_("No choice has been recorded, so personalization is off by default."),
        N_("Personalization is off because consent to it is not given."),
        N_("Full personalization: purchases, ratings, browsing and searches may be used."),
        N_("Basic personalization: only purchases and ratings may be used."),
    )
)


# Fairness audit checks (fairness/checks.py): "<what was found>; <the threshold>."
_LIMITS = Part(
    tuple(
        Sentence(text)
        for text in (
            # Translators: ends an audit check, e.g. "...; below the floor of 0.80."
            N_("below the floor of %(threshold)s"),
            N_("above the ceiling of %(threshold)s"),
            N_("the floor is %(threshold)s"),
            N_("the ceiling is %(threshold)s"),
        )
    )
)
_METRICS = Part(
    tuple(
        Sentence(text)
        for text in (
            N_("nDCG@%(k)s"),
            N_("precision@%(k)s"),
            N_("recall@%(k)s"),
            N_("MAP@%(k)s"),
            N_("MRR@%(k)s"),
            N_("hit rate@%(k)s"),
        )
    ),
    verbatim=True,
)
# Translators: a group and its ratio, in a list of groups below the floor ("F 0.62").
_BELOW = Part((Sentence(N_("%(group)s %(ratio)s")),), separator=", ")


def _said(*templates: str, **parts: Part) -> tuple[Sentence, ...]:
    # Translators: an audit check: what was found, then its threshold.
    outer = N_("%(said)s; %(limit)s.")
    found = Part(tuple(Sentence(t, dict(parts)) for t in templates))
    return (Sentence(outer, {"said": found, "limit": _LIMITS}),)


AUDIT_CHECKS: dict[str, tuple[Sentence, ...]] = {
    "quality_ratio": _said(
        N_("By %(attribute)s, no group got any %(metric)s, so no ratio is defined"),
        # Translators: "By gender, F got 0.80 of M's nDCG@10".
        N_("By %(attribute)s, %(worst)s got %(ratio)s of %(best)s's %(metric)s"),
        metric=_METRICS,
    ),
    "provider_exposure_ratio": _said(
        N_("No list showed any item, so provider %(provider)s has no exposure ratio"),
        N_(
            "Provider %(provider)s got %(share)s of the exposure for %(catalog)s of the "
            "catalog, a ratio of %(ratio)s"
        ),
    ),
    "exposure_gini": _said(
        N_("The Gini coefficient of item exposure is %(value)s"),
        N_("Exposure gini could not be measured (no usable list)"),
    ),
    "coverage": _said(
        N_("%(value)s of the catalog was recommended at least once"),
        N_("Coverage could not be measured (no usable list)"),
    ),
    "long_tail_share": _said(
        N_("%(value)s of the recommended items are from the long tail"),
        N_("Long tail share could not be measured (no usable list)"),
    ),
    "miscalibration": _said(
        N_("The lists' mean miscalibration against their people's histories is %(value)s"),
        N_("Miscalibration could not be measured (no usable list)"),
    ),
    "adverse_impact_ratio": _said(
        # Longest first: "... of the rate of %(reference)s" would match them all.
        # Translators: %(segment)s is e.g. "genre Drama", %(group)s e.g. "gender F".
        N_(
            "In %(segment)s, %(group)s was made eligible at %(ratio)s of the rate of "
            "%(reference)s (also below the floor: %(others)s)"
        ),
        N_(
            "In %(segment)s, %(group)s was served at %(ratio)s of the rate of %(reference)s "
            "(also below the floor: %(others)s)"
        ),
        N_(
            "In %(segment)s, %(group)s converted, once served (where engagement is seen), at "
            "%(ratio)s of the rate of %(reference)s (also below the floor: %(others)s)"
        ),
        N_("In %(segment)s, %(group)s was made eligible at %(ratio)s of the rate of %(reference)s"),
        N_("In %(segment)s, %(group)s was served at %(ratio)s of the rate of %(reference)s"),
        N_(
            "In %(segment)s, %(group)s converted, once served (where engagement is seen), at "
            "%(ratio)s of the rate of %(reference)s"
        ),
        others=_BELOW,
    ),
}


# Messaging checks (messaging/*.py): one rule's detail each.
def _sentences(*templates: str, **parts: Part) -> tuple[Sentence, ...]:
    return tuple(Sentence(t, dict(parts)) for t in templates)


_CAPS = Part(
    _sentences(
        N_("%(count)s of %(limit)s messages over all channels in the last 24 hours"),
        N_("%(count)s of %(limit)s messages over all channels in the last 7 days"),
        # Translators: %(channel)s is email, sms or push.
        N_("%(count)s of %(limit)s %(channel)s messages in the last 24 hours"),
        N_("%(count)s of %(limit)s %(channel)s messages in the last 7 days"),
        N_("all messages are switched off by the policy (the overall cap is 0)"),
        N_("this channel is switched off by the policy (its cap is 0)"),
    ),
    separator="; ",
)
_SENT_THIS_WEEK = Part(
    _sentences(
        # Translators: said only of 1 message.
        N_("%(n)s message sent in the last 7 days"),
        N_("%(n)s messages sent in the last 7 days"),
        # Translators: said only of 1 message; %(channel)s is email, sms or push.
        N_("%(n)s %(channel)s message sent in the last 7 days"),
        N_("%(n)s %(channel)s messages sent in the last 7 days"),
    ),
    separator="; ",
)
_ZONE = Part(
    _sentences(
        N_("%(zone)s, the default, since the person has no time zone"),
        N_("%(zone)s, the default, since the person's zone is unknown"),
    ),
    verbatim=True,
)
_PATTERNS = Part(
    _sentences(
        N_("false urgency"),
        N_("false scarcity"),
        N_("confirmshaming"),
        N_("guilt appeal"),
        N_("fear appeal"),
        N_("hidden costs"),
        N_("forced continuity"),
        N_("vulnerability pressure"),
    ),
    separator=", ",
    verbatim=True,
)
MESSAGE_CHECKS: dict[str, tuple[Sentence, ...]] = {
    "channel": _sentences(
        N_("No purpose is configured for this channel."),
        N_("The %(channel)s channel needs consent to %(purpose)s."),
    ),
    "consent": _sentences(
        N_("No consent can cover this channel: it has no purpose configured."),
        N_("Consent to %(purpose)s is given."),
        N_("No consent to %(purpose)s has been given."),
        N_("Consent to %(purpose)s was given to an older notice and must be asked again."),
        N_("Consent to %(purpose)s is denied."),
        N_("Consent to %(purpose)s is withdrawn."),
    ),
    "profiling": _sentences(
        N_("Not a profiled campaign."),
        N_(
            "A minor never gets a profiling-based message (DSA Art. 28); this campaign's "
            "audience was chosen by profiling."
        ),
        N_(
            "Personalization is off for this person, so no profiling-based message; this "
            "campaign's audience was chosen by profiling."
        ),
        N_("A profiled campaign; personalization is basic."),
        N_("A profiled campaign; personalization is full."),
    ),
    "sensitive_category": _sentences(
        N_("Not a sensitive category."),
        N_(
            "The campaign is about a sensitive category (%(categories)s) the person did not "
            "opt in to."
        ),
        N_("The person opted in to the sensitive category (%(categories)s)."),
    ),
    "self_exclusion": _sentences(
        N_("The person excluded themselves from %(categories)s."),
        N_("No self-exclusion covers this campaign."),
    ),
    "vulnerability": _sentences(
        N_("The person has not flagged vulnerability."),
        N_(
            "The person flagged vulnerability and %(categories)s is marked harm-prone: never "
            "pushed to them."
        ),
        N_("The person flagged vulnerability; this campaign is not in a harm-prone category."),
    ),
    "cap": _sentences(
        N_("Cap reached: %(caps)s."),
        N_("No cap applies."),
        N_("Within the caps: %(caps)s."),
        caps=_CAPS,
    ),
    "fewer_messages": _sentences(
        N_("No request for fewer messages."),
        N_("You asked for fewer messages: at most %(limit)s a week. %(sent)s."),
        sent=_SENT_THIS_WEEK,
    ),
    "fatigue": _sentences(
        # Translators: said only of 1 message.
        N_("Fewer than %(n)s message can be judged yet, so there is no fatigue."),
        N_("Fewer than %(n)s messages can be judged yet, so there is no fatigue."),
        N_("The person engaged with one of the last %(n)s messages."),
        # Translators: said only of 1 day.
        N_(
            "The last message was ignored, so at most one message every %(days)s day; none "
            "was sent in that time."
        ),
        N_(
            "The last message was ignored, so at most one message every %(days)s days; none "
            "was sent in that time."
        ),
        # Translators: said only of 1 day.
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "day; none was sent in that time."
        ),
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "days; none was sent in that time."
        ),
        # Translators: said only of 1 day; %(sent_at)s is a date and time in UTC.
        N_(
            "The last message was ignored, so at most one message every %(days)s day; the "
            "last one was sent at %(sent_at)s UTC."
        ),
        N_(
            "The last message was ignored, so at most one message every %(days)s days; the "
            "last one was sent at %(sent_at)s UTC."
        ),
        # Translators: said only of 1 day.
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "day; the last one was sent at %(sent_at)s UTC."
        ),
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "days; the last one was sent at %(sent_at)s UTC."
        ),
    ),
    "quiet_hours": _sentences(
        N_("No quiet hours are set."),
        # Translators: times are 24-hour (21:00); %(zone)s is a time zone (Europe/Paris).
        N_("It is %(time)s in %(zone)s, outside quiet hours (%(start)s to %(end)s)."),
        N_(
            "It is %(time)s in %(zone)s, inside quiet hours (%(start)s to %(end)s); they end "
            "at %(ends)s local time."
        ),
        zone=_ZONE,
    ),
    "copy": _sentences(
        N_("The copy is empty."),
        N_("The copy is longer than %(n)s characters."),
        N_("The copy cannot be checked: %(problem)s"),
        N_("No manipulative pattern found in the copy."),
        # Translators: said only of 1 passage; %(patterns)s names the patterns found.
        N_("The copy has %(n)s manipulative passage (%(patterns)s)."),
        N_("The copy has %(n)s manipulative passages (%(patterns)s)."),
        # Translators: said only of 1 passage.
        N_("The copy has %(n)s manipulative passage (%(patterns)s), flagged but not blocked."),
        N_("The copy has %(n)s manipulative passages (%(patterns)s), flagged but not blocked."),
        patterns=_PATTERNS,
    ),
}
_ALL_MESSAGE_CHECKS = tuple(s for sentences in MESSAGE_CHECKS.values() for s in sentences)

# The checks by name: the audit's (as reports/audit.py labels them) and the messaging rules'.
CHECK_NAMES: dict[str, str] = {
    "quality_ratio": N_("Quality ratio between groups"),
    "provider_exposure_ratio": N_("Provider exposure ratio"),
    "exposure_gini": N_("Gini of item exposure"),
    "coverage": N_("Catalog coverage"),
    "long_tail_share": N_("Long-tail share"),
    "miscalibration": N_("Miscalibration"),
    "adverse_impact_ratio": N_("Adverse-impact ratio (four-fifths rule)"),
    "channel": N_("Channel"),
    "consent": N_("Consent"),
    "profiling": N_("Profiling"),
    "sensitive_category": N_("Sensitive category"),
    "self_exclusion": N_("Self-exclusion"),
    "vulnerability": N_("Vulnerability"),
    "cap": N_("Frequency caps"),
    "fewer_messages": N_("Fewer messages"),
    "fatigue": N_("Fatigue"),
    "quiet_hours": N_("Quiet hours"),
    "copy": N_("Manipulative copy"),
}


def _values(args: object) -> dict[str, str] | None:
    if args is None:
        return {}
    if not isinstance(args, Mapping) or not all(isinstance(v, str) for v in args.values()):
        return None
    return {str(k): v for k, v in args.items()}


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
        template = REASONS.get(code) if isinstance(code, str) else None
        args = _values(explanation.get("reason_args"))
        if template is None or args is None:
            return written
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
        code = control.get("code")
        template = CONTROLS.get(code) if isinstance(code, str) else None
        args = _values(control.get("args"))
        if template is None or args is None:
            return label
        return self._coded(template, args, label)

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
        return self._sentence(reason, _ALL_MESSAGE_CHECKS)

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
