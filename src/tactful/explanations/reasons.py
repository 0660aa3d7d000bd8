"""Explanations people can read, built from what the decision actually used.

Each explanation is recorded twice over: as an English sentence (`reason`, the evidence of
what the person was told) and as a code with its arguments (`reason_code`, `reason_args`),
from which a page rebuilds the same sentence in the reader's language. The codes:

- `because.<event type>` {title}: chosen because of one item of the person's history;
- `overall` {signals: event types, comma-separated}: chosen from the history as a whole;
- `popular.<basis>` and `editorial.<basis>` {} where the basis is `off` (personalization is
  off), `no_signals` (nothing usable is held), `shown` (a popular pick) or `aggregate` (the
  aggregate level, before its cohort trends are first computed);
- `cohort` {cohort, k, epsilon}: popular in the person's cohort, released with differential
  privacy; `cohort_population.too_small` {cohort, k, epsilon}: popular among everyone, the
  cohort being too small; `cohort_population.no_cohort` {epsilon}: popular among everyone,
  no cohort being known for the person (the aggregate level);
- `exploration` {} and `pinned` {}.

`tactful.web.texts` holds the English template of every code; its tests prove each one
writes exactly the sentence recorded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from tactful.consent.levels import PersonalizationLevel
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType

_VERBS = {
    EventType.PURCHASE: "bought",
    EventType.RATING: "rated",
    EventType.ADD_TO_CART: "put in your cart",
    EventType.CLICK: "looked at",
    EventType.VIEW: "viewed",
    EventType.SEARCH: "searched for",
}


@dataclass(frozen=True, slots=True)
class Explanation:
    reason: str
    signals: tuple[str, ...]
    purposes: tuple[str, ...]
    model_version: str
    personal: bool
    because_item_id: str | None = None
    # The reason as a code and its arguments (see the module docstring); "" for none (a
    # page then shows `reason` as written).
    reason_code: str = ""
    reason_args: Mapping[str, str] = field(default_factory=dict, hash=False)

    def with_purposes(self, purposes: tuple[str, ...]) -> Explanation:
        """The same explanation relying on other purposes (a sensitive item's)."""
        return replace(self, purposes=purposes)

    def as_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "reason_code": self.reason_code or None,
            "reason_args": dict(self.reason_args),
            "personal": self.personal,
            "signals": list(self.signals),
            "purposes": list(self.purposes),
            "model_version": self.model_version,
            "because_item_id": self.because_item_id,
        }


def explain_personal(
    because: tuple[Item, Event] | None,
    signal_types: frozenset[EventType],
    purposes: frozenset[str],
    model_version: str,
) -> Explanation:
    if because is not None:
        item, event = because
        reason = f"Because you {_VERBS[event.event_type]} \u201c{item.title}\u201d."
        signals: tuple[str, ...] = (event.event_type.value,)
        because_id: str | None = item.item_id
        code, args = f"because.{event.event_type.value}", {"title": item.title}
    else:
        kinds = ", ".join(sorted(_VERBS[t] for t in signal_types)) or "chose"
        reason = f"Picked from what you {kinds} overall, not from one item in particular."
        signals = tuple(sorted(t.value for t in signal_types))
        because_id = None
        code, args = "overall", {"signals": ",".join(signals)}
    return Explanation(
        reason=reason,
        signals=signals,
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=True,
        because_item_id=because_id,
        reason_code=code,
        reason_args=args,
    )


def explain_popular(
    level: PersonalizationLevel, item: Item, model_version: str, had_no_signals: bool
) -> Explanation:
    if level is PersonalizationLevel.OFF:
        basis, said = "off", "Not based on anything about you: personalization is off."
    elif level is PersonalizationLevel.AGGREGATE:
        basis, said = "aggregate", "Trends among people like you are not computed yet."
    elif had_no_signals:
        basis, said = "no_signals", "We hold nothing about you that your choices let us use yet."
    else:
        basis, said = "shown", "Shown as a popular pick."
    if item.editorial:
        lead, kind = "An editor\u2019s pick", "editorial"
    else:
        lead, kind = "Popular with shoppers right now", "popular"
    return Explanation(
        reason=f"{lead}. {said}",
        signals=(),
        purposes=(),
        model_version=model_version,
        personal=False,
        reason_code=f"{kind}.{basis}",
    )


def explain_exploration(
    purposes: frozenset[str], model_version: str, personal: bool
) -> Explanation:
    """An item the surface's exploration share placed from outside the usual top picks."""
    return Explanation(
        reason="Shown to widen your choices: it is outside your usual top picks.",
        signals=(),
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=personal,
        reason_code="exploration",
    )


def explain_pinned(purposes: frozenset[str], model_version: str) -> Explanation:
    """An item the operator placed on this list; the guardrails still had their say."""
    return Explanation(
        reason="Placed here by the shop for everyone on this page, not chosen from your data. "
        "It passed the same checks as every other item (your choices, exclusions and "
        "sensitive categories).",
        signals=(),
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=False,
        reason_code="pinned",
    )


_ANONYMOUS = "Nothing of your own history was used to choose it."


def explain_cohort(
    basis: str,
    cohort: str | None,
    min_cohort: int,
    epsilon: float,
    purposes: frozenset[str],
    model_version: str,
) -> Explanation:
    """An item of the aggregate level: popular in the person's cohort (`basis` "cohort"),
    or among everyone because the cohort is too small ("too_small") or unknown
    ("no_cohort"); the counts were released with differential privacy."""
    eps = f"{epsilon:g}"
    if basis == "cohort" and cohort is not None:
        code = "cohort"
        args = {"cohort": cohort, "k": str(min_cohort), "epsilon": eps}
        reason = (
            f"Popular among people like you ({cohort}), counted with differential privacy "
            f"(\u03b5 = {eps}) in a group of at least {min_cohort} people. {_ANONYMOUS}"
        )
    elif basis == "too_small" and cohort is not None:
        code = "cohort_population.too_small"
        args = {"cohort": cohort, "k": str(min_cohort), "epsilon": eps}
        reason = (
            "Popular among everyone who shares their activity for trends, counted with "
            f"differential privacy (\u03b5 = {eps}): too few people like you ({cohort}) share "
            f"theirs to show their own trends (at least {min_cohort} are needed). {_ANONYMOUS}"
        )
    else:
        code = "cohort_population.no_cohort"
        args = {"epsilon": eps}
        reason = (
            "Popular among everyone who shares their activity for trends, counted with "
            f"differential privacy (\u03b5 = {eps}): we do not know a group of people like "
            f"you to show the trends of. {_ANONYMOUS}"
        )
    return Explanation(
        reason=reason,
        signals=(),
        purposes=tuple(sorted(purposes)),
        model_version=model_version,
        personal=False,
        reason_code=code,
        reason_args=args,
    )
