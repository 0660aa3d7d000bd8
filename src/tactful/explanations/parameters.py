"""The main parameters of the recommenders, in plain language (EU DSA Art. 27 and 38).

`recommender_parameters` writes, for the recommenders in use, what a person is entitled to
read: how each one picks items, its live settings, the signals it reads at each level and
how strongly each counts, what decides the order, what is never shown, and the options a
person has to change all this.

Nothing here restates a rule. Each text is computed from the inputs (the live configs, the
purpose catalog, the limits) or from the code that applies the rule: `LEVEL_EVENT_TYPES`,
`EVENT_WEIGHTS` and `signal_weight`, `signal_policy`, `derive_level`, `apply_filters`,
asked with representative inputs, as training asks them (`training/policies.py`). When a
rule changes, the document changes with it. The only fixed words are the names of things
(signals, guardrails, endpoints); a test fails when one of them is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from tactful.candidates.base import Recommender
from tactful.candidates.registry import build
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentState, ConsentStatus
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import Purpose, PurposeCatalog
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import FieldError, InvalidInput
from tactful.guardrails import filters
from tactful.guardrails.policy import DEFAULT_POLICY, GuardrailPolicy
from tactful.signals import selection, weights

# The consumer API's paths for each option (the endpoints live in `api/`).
LEVEL_PATH = "/v1/me/level"
CONSENTS_PATH = "/v1/me/consents"
DECISION_PATH = "/v1/me/decisions/{id}"

# Per signal: (one of it, several of it, what the person did).
SIGNAL_WORDS: Mapping[EventType, tuple[str, str, str]] = MappingProxyType(
    {
        EventType.PURCHASE: ("a purchase", "purchases", "bought"),
        EventType.RATING: ("a rating", "ratings", "rated"),
        EventType.ADD_TO_CART: (
            "adding to your cart",
            "additions to your cart",
            "put in your cart",
        ),
        EventType.CLICK: ("a click", "clicks", "clicked"),
        EventType.VIEW: ("a page view", "page views", "viewed"),
        EventType.SEARCH: ("a search", "searches", "searched for"),
    }
)

# Per guardrail, as `apply_filters` counts what it held back: what it never shows.
GUARDRAIL_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "not_in_catalog": "Items no longer in the catalog.",
        "sensitive_category": "Items in a sensitive category ({categories}), unless you opted "
        "in to every sensitive category the item belongs to.",
        "already_purchased": "Items you already {owned}, as far as the signals your choices "
        "let the decision read show it.",
        "self_excluded": "Items in a category you excluded yourself from ({self_excludable}), "
        "by every path: recommendations, editor's picks, items the shop pins, and messages.",
        "vulnerability": "If you told us you are vulnerable: items in a harm-prone category "
        "({harm_prone}), whatever else you chose.",
        "reported_by_you": "Items you reported in a complaint.",
        "not_interested": "Items you said you are not interested in.",
    }
)
# Guardrails that hold something back only for people who asked for them.
_PERSONAL_GUARDRAILS = ("self_excluded", "vulnerability", "reported_by_you", "not_interested")

_NUMBER_WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}
_NUMBER_WORDS |= {7: "seven times", 8: "eight times", 9: "nine times", 10: "ten times"}
# Representative inputs for asking the rules; they read neither the time nor the id.
_WHEN = datetime(2000, 1, 1, tzinfo=UTC)
_PROBE = "-"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The current version of one model, as the model store records it."""

    name: str
    version: str
    config: Mapping[str, Any]
    trained_at: datetime
    trained_on: Mapping[str, Any]


def recommender_parameters(
    *,
    purposes: Iterable[Purpose],
    models: Mapping[str, ModelInfo | None],
    personal_model: str,
    popular_model: str = "popularity",
    history_limit: int,
    max_k: int,
    guardrails: GuardrailPolicy = DEFAULT_POLICY,
    cohort_model: str | None = None,
    cohort_text: str | None = None,
) -> dict[str, Any]:
    """The recommenders' main parameters, options included, as a JSON-ready document.

    `models` maps a model name to its current version, or None while it is untrained.
    `cohort_model` names the model of the aggregate level (cohort trends) and `cohort_text`
    says how it ranks; without them that level is described as using the popular model.
    Bad input (an unknown recommender, an invalid config, a limit below 1) is `InvalidInput`.
    """
    _check_limits(history_limit=history_limit, max_k=max_k)
    catalog = _as_catalog(purposes)
    rules = _Rules.ask(catalog, guardrails)
    names = list(dict.fromkeys((popular_model, personal_model)))
    built = {name: _current(name, models.get(name)) for name in names}
    popular = built[popular_model][0]
    personal = built[personal_model][0]
    body: dict[str, Any] = {
        "recommenders": [
            _recommender_entry(
                name, model, info, rules, personal_model, popular_model, history_limit, cohort_model
            )
            for name, (model, info) in built.items()
        ],
        "ranking_criteria": _ranking_criteria(personal, popular, rules, max_k, cohort_model),
        "guardrails": _guardrails(rules),
        "levels": _levels(rules, personal_model, popular_model, cohort_model, cohort_text),
        "options": _options(rules),
    }
    body["generated_from"] = _fingerprint(body, built, catalog, history_limit, max_k)
    return body


# -- inputs --------------------------------------------------------------------------------
def _check_limits(**limits: int) -> None:
    errors = [
        FieldError(name, "must be a whole number of at least 1")
        for name, value in limits.items()
        if isinstance(value, bool) or not isinstance(value, int) or value < 1
    ]
    if errors:
        raise InvalidInput("Invalid limits for the recommender parameters.", errors)


def _as_catalog(purposes: Iterable[Purpose]) -> PurposeCatalog:
    if isinstance(purposes, PurposeCatalog):
        return purposes
    by_code: dict[str, Purpose] = {}
    for purpose in purposes:
        if purpose.code in by_code:
            raise InvalidInput(
                f"The purpose {purpose.code!r} is given twice.",
                [FieldError("purposes", f"{purpose.code!r} is given twice")],
            )
        by_code[purpose.code] = purpose
    return PurposeCatalog(MappingProxyType(by_code))


def _current(name: str, info: ModelInfo | None) -> tuple[Recommender[Any], ModelInfo | None]:
    """The recommender as configured now: its trained config, or its defaults if untrained."""
    if info is not None and info.name != name:
        raise InvalidInput(
            f"The model given for {name!r} is a {info.name!r} model.",
            [FieldError(f"models.{name}", f"holds a {info.name!r} model")],
        )
    return build(name, info.config if info is not None else None), info


# -- the rules, asked --------------------------------------------------------------------
@dataclass(frozen=True)
class _Rules:
    """What the consent, signal and guardrail rules answer for this catalog."""

    catalog: PurposeCatalog
    levels: tuple[PersonalizationLevel, ...]
    baseline: PersonalizationLevel  # the level of someone who chose nothing
    reachable: frozenset[PersonalizationLevel]
    # Per level: the purposes without which a person cannot have it.
    required: Mapping[PersonalizationLevel, tuple[str, ...]]
    # Per level and signal it may read: the purposes that allow reading it.
    allowed_by: Mapping[PersonalizationLevel, Mapping[EventType, tuple[str, ...]]]
    off_reasons: tuple[str, ...]
    guardrails: tuple[str, ...]
    owned_types: tuple[EventType, ...]
    # The sensitive categories the guardrail policy declares, and its protections.
    sensitive: tuple[str, ...]
    self_excludable: tuple[str, ...]
    harm_prone: tuple[str, ...]

    @classmethod
    def ask(cls, catalog: PurposeCatalog, guardrails: GuardrailPolicy = DEFAULT_POLICY) -> _Rules:
        levels = tuple(PersonalizationLevel)
        rank = {level: n for n, level in enumerate(levels)}
        codes = sorted(p.code for p in catalog)
        adult, minor = SubjectAttributes(), SubjectAttributes(age_band=AgeBand.UNDER_18)
        everything = _state(codes, ConsentStatus.GRANTED)
        without = {c: _state([o for o in codes if o != c], ConsentStatus.GRANTED) for c in codes}
        probes = [
            derive_level(_state([], ConsentStatus.GRANTED), adult),
            derive_level(_state(codes, ConsentStatus.DENIED), adult),
            derive_level(everything, minor),
            derive_level(everything, adult),
            *(derive_level(state, adult) for state in without.values()),
        ]
        below = {c: rank[derive_level(s, adult).level] for c, s in without.items()}
        alone = {c: derive_level(_state([c], ConsentStatus.GRANTED), adult).level for c in codes}
        reachable = frozenset(p.level for p in probes)
        # A purpose is required for a level if granting everything but it falls short of it;
        # a level that more consent passes over (aggregate, below basic) is turned on by
        # the purposes that reach it granted alone.
        required = {
            level: tuple(c for c in codes if below[c] < rank[level])
            or tuple(c for c in codes if alone[c] is level)
            if rank[level] and level in reachable
            else ()
            for level in levels
        }
        allowed_by: dict[PersonalizationLevel, dict[EventType, tuple[str, ...]]] = {}
        for level in levels:
            policy = selection.signal_policy(level, everything, catalog)
            allowed_by[level] = {
                event_type: tuple(sorted(policy.justification.get(event_type, ())))
                for event_type in _ordered(selection.LEVEL_EVENT_TYPES[level])
            }
        probe = filters.apply_filters(
            filters.CatalogMasks.build((_PROBE,), {}), {_PROBE: 0}, frozenset(), ()
        )
        owned = tuple(
            t for t in EventType if filters.owned_items([Event(_PROBE, t, _WHEN, _PROBE)])
        )
        return cls(
            catalog=catalog,
            levels=levels,
            baseline=probes[0].level,
            reachable=reachable,
            required=required,
            allowed_by=allowed_by,
            off_reasons=tuple(
                dict.fromkeys(p.reason for p in probes if p.level is probes[0].level)
            ),
            guardrails=(*probe.held_back, *_PERSONAL_GUARDRAILS),
            owned_types=owned,
            sensitive=tuple(sorted(guardrails.sensitive_codes)),
            self_excludable=guardrails.protection.self_excludable,
            harm_prone=guardrails.protection.harm_prone,
        )

    def readable(self, level: PersonalizationLevel) -> list[EventType]:
        return [t for t, codes in self.allowed_by[level].items() if codes]

    def title(self, code: str) -> str:
        return self.catalog.get(code).title


def _state(codes: Sequence[str], status: ConsentStatus) -> ConsentState:
    choices = {
        code: ConsentRecord(_PROBE, code, status, _PROBE, ConsentMethod.API, _WHEN)
        for code in codes
    }
    return ConsentState(_PROBE, MappingProxyType(choices))


def _ordered(types: Iterable[EventType]) -> list[EventType]:
    """Heaviest signal first; equal weights in the order the event types are declared."""
    order = {t: n for n, t in enumerate(EventType)}
    table = weights.EVENT_WEIGHTS
    return sorted(types, key=lambda t: (-table.get(t, 0.0), order[t]))


# -- words ---------------------------------------------------------------------------------
def _words(event_type: EventType, form: int) -> str:
    default = event_type.value.replace("_", " ")
    return SIGNAL_WORDS.get(event_type, (default, default, default))[form]


def _join(parts: Sequence[str], last: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {last} {parts[-1]}"


def _times(ratio: float) -> str:
    """`ratio` times as much, in words: "twice as much as", "1.5 times as much as"."""
    rounded = round(ratio, 2)
    if rounded == 1:
        return "as much as"
    if rounded == 0.5:
        return "half as much as"
    if rounded.is_integer() and int(rounded) in _NUMBER_WORDS:
        return f"{_NUMBER_WORDS[int(rounded)]} as much as"
    return f"{rounded:g} times as much as"


def _strength_sentences(types: Sequence[EventType]) -> list[str]:
    """How strongly each of `types` counts, relative to the weakest, from `EVENT_WEIGHTS`."""
    table = weights.EVENT_WEIGHTS
    known = [t for t in _ordered(types) if t in table]
    if not known:
        return []
    weakest = min(table[t] for t in known)
    base = [t for t in known if table[t] == weakest]
    base_words = _join([_words(t, 0) for t in base], "or")
    out: list[str] = []
    for weight in sorted({table[t] for t in known} - {weakest}, reverse=True):
        group = [_words(t, 1) for t in known if table[t] == weight]
        subject = _join(group).capitalize()
        if weakest > 0:
            out.append(f"{subject} count {_times(weight / weakest)} {base_words}.")
        else:
            out.append(f"{subject} count {weight:g}; {base_words} counts {weakest:g}.")
    if len(base) > 1:
        out.append(f"{_join([_words(t, 1) for t in base]).capitalize()} count the same.")
    if EventType.RATING in known:
        out += _low_rating_sentence(weakest, base_words)
    return out


def _low_rating_sentence(weakest: float, base_words: str) -> list[str]:
    """What `signal_weight` makes of a poor rating, found by asking it along the scale."""
    full = weights.EVENT_WEIGHTS[EventType.RATING]
    stars = [n / 10 for n in range(101)]
    rated = [
        weights.signal_weight(Event(_PROBE, EventType.RATING, _WHEN, _PROBE, value))
        for value in stars
    ]
    lowered = [n for n, weight in enumerate(rated) if weight != full]
    if not lowered or lowered != list(range(len(lowered))) or len(lowered) == len(stars):
        return []  # not a plain "below some number of stars" rule: nothing simple to say
    low = rated[0]
    if len(set(rated[: len(lowered)])) != 1:
        return []
    relative = _times(low / weakest) if weakest > 0 else f"{low:g}, against {weakest:g} for"
    return [f"A rating below {stars[len(lowered)]:g} stars counts only {relative} {base_words}."]


# -- sections ------------------------------------------------------------------------------
def _recommender_entry(
    name: str,
    model: Recommender[Any],
    info: ModelInfo | None,
    rules: _Rules,
    personal_model: str,
    popular_model: str,
    history_limit: int,
    cohort_model: str | None = None,
) -> dict[str, Any]:
    roles = [r for r, n in (("popular", popular_model), ("personal", personal_model)) if n == name]
    personal_levels = [
        level for level in rules.levels if rules.readable(level) and level in rules.reachable
    ]
    used_at: list[dict[str, str]] = []
    for level in rules.levels:
        if level not in rules.reachable:
            continue
        if "personal" in roles and level in personal_levels:
            when = "whenever one of your usable signals is about an item it was trained on"
        elif "popular" in roles and level in personal_levels:
            when = (
                f"when none of your usable signals is about an item the {personal_model} "
                "recommender was trained on, or while it is not trained"
            )
        elif "popular" in roles and level is PersonalizationLevel.AGGREGATE and cohort_model:
            when = f"only while the {cohort_model} recommender is not trained yet"
        elif "popular" in roles:
            when = "always"
        else:
            continue
        used_at.append({"level": level.value, "when": when})
    signals: dict[str, list[dict[str, Any]]] = {}
    if "personal" in roles:
        signals = {
            level.value: [
                {"signal": t.value, "words": _words(t, 1), "allowed_by": list(codes)}
                for t, codes in rules.allowed_by[level].items()
            ]
            for level in personal_levels
        }
    read_types = _ordered({t for level in personal_levels for t in rules.readable(level)})
    entry: dict[str, Any] = {
        "name": name,
        "roles": roles,
        "summary": model.summary,
        "trained": info is not None,
        "version": info.version if info is not None else None,
        "trained_at": info.trained_at.isoformat() if info is not None else None,
        "status": _status(name, info, roles, popular_model),
        "parameters": [{"label": label, "value": value} for label, value in model.parameters()],
        "config": model.config.model_dump(mode="json"),
        "used_at": used_at,
        "signals": signals,
        "counts_signal_strength": model.counts_signal_strength(),
        "signal_strength": _strength_entry(model, read_types),
        "history": (
            f"A decision reads at most your {history_limit} most recent signals, of the kinds "
            "your level and choices allow; each item counts once, by your strongest signal "
            "for it."
            if "personal" in roles and model.personal
            else "It reads none of your signals: it ranks the same way for everyone."
        ),
    }
    if info is not None:
        entry["training_data"] = _training_data(info.trained_on)
    return entry


def _status(name: str, info: ModelInfo | None, roles: list[str], popular_model: str) -> str:
    if info is not None:
        return f"In use: version {info.version}, trained {info.trained_at.date().isoformat()}."
    if "popular" in roles:
        return "Not trained yet: no recommendations can be made until it is."
    return (
        f"Not trained yet: until it is, the {popular_model} recommender is used at every "
        "level. The settings shown are this recommender's defaults."
    )


def _strength_entry(model: Recommender[Any], read_types: Sequence[EventType]) -> list[str]:
    if not model.personal:
        types = _ordered(weights.EVENT_WEIGHTS)
        if model.counts_signal_strength():
            lead = "It uses no signal of yours. In its training, stronger signals count for more:"
            return [lead, *_strength_sentences(types)]
        return ["It uses no signal of yours. In its training every interaction counts the same."]
    if not read_types:
        return ["No signal of yours can be read: no purpose allows it."]
    if model.counts_signal_strength():
        lead = "Stronger signals count for more:"
    else:
        lead = (
            "Every item in your history counts the same, whatever you did with it; the "
            "strength of your signals only decides which of your actions a recommendation "
            "gives as its reason:"
        )
    return [lead, *_strength_sentences(read_types)]


def _training_data(trained_on: Mapping[str, Any]) -> dict[str, Any]:
    counts = {
        key: trained_on[key]
        for key in ("subjects", "items", "interactions")
        if isinstance(trained_on.get(key), int) and not isinstance(trained_on.get(key), bool)
    }
    out: dict[str, Any] = dict(counts)
    if len(counts) == 3:
        out["text"] = (
            f"Learned from {counts['interactions']} interactions of {counts['subjects']} "
            f"shoppers with {counts['items']} items."
        )
    if isinstance(trained_on.get("signals"), str):
        out["signals"] = trained_on["signals"]
    return out


def _ranking_criteria(
    personal: Recommender[Any],
    popular: Recommender[Any],
    rules: _Rules,
    max_k: int,
    cohort_model: str | None = None,
) -> list[dict[str, str]]:
    guardrails = " ".join(_guardrail_text(key, rules) for key in rules.guardrails)
    aggregate = PersonalizationLevel.AGGREGATE
    cohorts = (
        f" At the {aggregate.value} level the {cohort_model} recommender scores them instead, "
        "from the trends of people like you."
        if cohort_model and aggregate in rules.reachable
        else ""
    )
    return [
        {
            "step": "recommender",
            "text": f"If your level lets the decision read your signals and one of them is "
            f"about an item the {personal.name} recommender was trained on, it scores the "
            f"items; otherwise the {popular.name} recommender does.{cohorts}",
        },
        {
            "step": "score",
            "text": f"Every item gets a score: higher means a better match. {personal.name}: "
            f"{personal.summary} {popular.name}: {popular.summary}",
        },
        {"step": "guardrails", "text": f"Items that must not be shown are removed. {guardrails}"},
        {
            "step": "top_k",
            "text": f"The remaining items with the highest scores are shown, best first, as "
            f"many as were asked for and never more than {max_k}. Equal scores keep a fixed "
            "order, so the same inputs always give the same list.",
        },
    ]


def _sensitive_unlocks(rules: _Rules) -> dict[str, str | None]:
    """Every sensitive category, with the purpose that opts in to it (None: no purpose does)."""
    unlocks: dict[str, str | None] = dict.fromkeys(sorted(rules.sensitive))
    for purpose in rules.catalog:
        if purpose.sensitive_category is not None:
            unlocks[purpose.sensitive_category] = purpose.code
    return dict(sorted(unlocks.items()))


def _guardrail_text(key: str, rules: _Rules) -> str:
    template = GUARDRAIL_WORDS.get(key, f"Items held back by the {key.replace('_', ' ')} rule.")
    categories = ", ".join(c.replace("_", " ") for c in _sensitive_unlocks(rules))
    owned = _join([_words(t, 2) for t in rules.owned_types], "or")
    return template.format(
        categories=categories,
        owned=owned,
        self_excludable=", ".join(c.replace("_", " ") for c in rules.self_excludable) or "none",
        harm_prone=", ".join(c.replace("_", " ") for c in rules.harm_prone) or "none",
    )


def _guardrails(rules: _Rules) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in rules.guardrails:
        entry: dict[str, Any] = {"guardrail": key, "text": _guardrail_text(key, rules)}
        if key == "sensitive_category":
            entry["opt_in"] = [
                {"category": category, "purpose": code}
                for category, code in _sensitive_unlocks(rules).items()
            ]
        out.append(entry)
    return out


def _levels(
    rules: _Rules,
    personal_model: str,
    popular_model: str,
    cohort_model: str | None = None,
    cohort_text: str | None = None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for level in rules.levels:
        readable = rules.readable(level)
        profiling = bool(selection.LEVEL_EVENT_TYPES[level])
        recommender = personal_model if readable else popular_model
        if readable:
            uses = f"Uses your {_join([_words(t, 1) for t in readable])}."
        elif profiling:
            uses = "Would use signals no purpose in the catalog allows, so uses nothing."
        elif level is PersonalizationLevel.AGGREGATE:
            recommender = cohort_model or popular_model
            uses = "Uses no signal of yours, only which group of people like you you are in. " + (
                cohort_text or "Items are ranked by what is popular among them."
            )
        else:
            uses = "Uses nothing about you: items are ranked the same way for everyone."
        entry: dict[str, Any] = {
            "level": level.value,
            "text": uses,
            "signals": [
                {"signal": t.value, "words": _words(t, 1), "allowed_by": list(codes)}
                for t, codes in rules.allowed_by[level].items()
            ],
            "recommender": recommender,
            "based_on_profiling": profiling,
            "always_available": level is rules.baseline,
            "available": level in rules.reachable,
            "turned_on_by": [
                {"purpose": code, "title": rules.title(code)} for code in rules.required[level]
            ],
        }
        if level is rules.baseline:
            entry["when"] = list(rules.off_reasons)
            if not profiling:
                entry["text"] += (
                    " Always available: it needs no consent, and you can return to it at any "
                    "time. It is the option not based on profiling (DSA Art. 38)."
                )
        out.append(entry)
    return out


def _options(rules: _Rules) -> list[dict[str, Any]]:
    # A level no purpose in the catalog can turn on is not offered.
    choices = [level.value for level in rules.levels if level in rules.reachable]
    baseline = rules.baseline.value
    options: list[dict[str, Any]] = [
        {
            "option": "level",
            "method": "PUT",
            "path": LEVEL_PATH,
            "text": f"Choose your personalization level: {_join(choices, 'or')}. "
            f"{baseline.capitalize()} is always available.",
            "choices": choices,
        },
        {
            "option": "consents",
            "method": "PUT",
            "path": CONSENTS_PATH,
            "text": "Grant or withdraw each purpose separately; your level follows from "
            "your choices.",
            "choices": sorted(p.code for p in rules.catalog),
        },
        {
            "option": "why",
            "method": "GET",
            "path": DECISION_PATH,
            "text": "Why am I seeing this? For any recommendation you received: the level, "
            "the signals and purposes it used, the recommender version, and the reason for "
            "each item.",
        },
    ]
    for category, code in _sensitive_unlocks(rules).items():
        label = category.replace("_", " ")
        option: dict[str, Any] = {
            "option": f"sensitive:{category}",
            "method": "PUT",
            "path": CONSENTS_PATH,
            "purpose": code,
        }
        if code is None:
            option["text"] = f"{label.capitalize()} items are never shown: no choice unlocks them."
        else:
            description = rules.catalog.get(code).description
            option["text"] = f"Opt in to or out of {label} items. {description}"
        options.append(option)
    return options


def _fingerprint(
    body: Mapping[str, Any],
    built: Mapping[str, tuple[Recommender[Any], ModelInfo | None]],
    catalog: PurposeCatalog,
    history_limit: int,
    max_k: int,
) -> dict[str, Any]:
    relevant = sorted(
        (
            p.code,
            p.title,
            p.description,
            sorted(c.value for c in p.data_categories),
            p.profiling,
            p.sensitive_category,
        )
        for p in catalog
    )
    return {
        "models": {name: info.version if info else None for name, (_, info) in built.items()},
        "purposes": {"count": len(relevant), "sha256": _sha256(relevant)},
        "history_limit": history_limit,
        "max_k": max_k,
        # Of everything above: any change to the document changes it.
        "sha256": _sha256(body),
    }


def _sha256(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
