"""A deterministic synthetic shop: catalog, subjects, consent choices and events.

Everything is drawn from one seed with numpy, so the same `DemoConfig` always gives the same
store. The shape is meant to look like a real retailer's data:

* items in 25 categories, 8 of them sensitive (about a tenth of the catalog), with natural
  titles, fictional brands, tags and a few editorial picks;
* subjects with descriptive attributes and a latent taste segment that drives what they
  look at and buy;
* a realistic consent mix (no choice, denial, basic, full, sensitive opt-ins, self-exclusions,
  later withdrawals), and minors who never grant anything;
* events with a Zipf-like item popularity, a view > click > cart > purchase funnel in time
  order, ratings on purchases and searches that found an item.

Events are generated for every subject whatever their consent: dropping what consent does
not cover is ingestion's job. Five named personas (`PERSONAS`) have fixed ids and scripted
histories, for the README tour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from tactful.consent.ledger import ConsentMethod, ConsentStatus
from tactful.demo.vocabulary import (
    _AGE_BANDS,
    _AGE_WEIGHTS,
    _BASIC,
    _BRANDS,
    _BRANDS_PER_CATEGORY,
    _CATEGORY_BRANDS,
    _CATEGORY_INDEX,
    _CATEGORY_SPECS,
    _CLASS_ACTIVITY,
    _CLASS_P,
    _DENY,
    _FULL,
    _GENDER_WEIGHTS,
    _GENDERS,
    _HOURLY_P,
    _NONE,
    _OCCUPATIONS,
    _P_CART,
    _P_CLICK,
    _P_FAVOURITE,
    _P_PURCHASE,
    _P_RATING,
    _P_SEARCH,
    _REGION_WEIGHTS,
    _REGIONS,
    _SEGMENT_SPECS,
    _TEEN,
    _ZIPF_EXPONENT,
)
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import (
    ANALYTICS_AGGREGATE,
    MARKETING_EMAIL,
    MARKETING_PUSH,
    PERSONALIZATION_AGGREGATE,
    PERSONALIZATION_BEHAVIORAL,
    PERSONALIZATION_EXPLICIT,
    sensitive_purpose_code,
)
from tactful.domain.subjects import AgeBand, Identity, Subject, SubjectAttributes
from tactful.errors import FieldError, InvalidInput

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_DAY = 86_400
_DEFAULT_START = datetime(2026, 5, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class ConsentChoice:
    """One consent-ledger entry to record, in the order the list gives."""

    subject_id: str
    purpose: str
    status: ConsentStatus
    method: ConsentMethod
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class DemoStore:
    items: list[Item]
    subjects: list[Subject]
    # Chronological: a withdrawal always comes after the grant it withdraws.
    consents: list[ConsentChoice]
    # Chronological; within one subject a purchase follows its view, click and cart.
    events: list[Event]
    # The latent taste segment of every subject (ground truth for evaluation, not data).
    segments: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class DemoConfig:
    seed: int = 20261123
    n_items: int = 2400
    n_subjects: int = 5000
    n_events: int = 220_000
    start: datetime = _DEFAULT_START
    days: int = 180


PERSONAS: Mapping[str, str] = MappingProxyType(
    {
        "alice": (
            "Full personalization (purchases, ratings, browsing, statistics); a runner who "
            "also reads, with about 40 rated purchases and many views."
        ),
        "bob": "No consent choice recorded at all, so personalization is off by default.",
        "carol": (
            "Basic personalization: purchases and ratings yes, browsing no; cooks, buys "
            "kitchen and grocery items."
        ),
        "dan": "Under 18: declined personalization and is never profiled anyway.",
        "erin": (
            "Full personalization, but self-excluded from gambling and alcohol although she "
            "has browsed such items."
        ),
    }
)


# --------------------------------------------------------------------------- catalog words


def generate(config: DemoConfig = DemoConfig()) -> DemoStore:
    """Build the demo store described by `config`; the same config gives the same store."""
    _validate(config)
    start = config.start.astimezone(UTC)
    clock = _Clock(start, config.days * _DAY)
    rng_items, rng_people, rng_consents, rng_personas, rng_events = np.random.default_rng(
        config.seed
    ).spawn(5)
    catalog = _build_catalog(config.n_items, rng_items)
    people = _build_people(config.n_subjects, clock, rng_people)
    consents = _build_consents(people, clock, rng_consents)
    scripted = _persona_episodes(catalog, clock, rng_personas)
    drawn = _random_episodes(
        people, catalog, clock, max(0, config.n_events - scripted.n_events), rng_events
    )
    events = _expand(_Episodes.concat([scripted, drawn]), catalog, people, clock, rng_events)
    return DemoStore(
        items=catalog.items,
        subjects=people.subjects,
        consents=consents,
        events=events,
        segments=MappingProxyType(
            {
                s.subject_id: _SEGMENT_SPECS[int(g)][0]
                for s, g in zip(people.subjects, people.segment, strict=True)
            }
        ),
    )


def _validate(config: DemoConfig) -> None:
    errors: list[FieldError] = []
    if config.n_items < len(_CATEGORY_SPECS):
        errors.append(FieldError("n_items", f"must be at least {len(_CATEGORY_SPECS)}"))
    if config.n_subjects <= len(PERSONAS):
        errors.append(FieldError("n_subjects", f"must be more than {len(PERSONAS)}"))
    if config.n_events < 0:
        errors.append(FieldError("n_events", "must not be negative"))
    if config.days < 7:
        errors.append(FieldError("days", "must be at least 7"))
    if config.start.tzinfo is None or config.start.utcoffset() is None:
        errors.append(FieldError("start", "must be timezone-aware"))
    if errors:
        raise InvalidInput("Invalid demo configuration.", errors)


@dataclass(frozen=True, slots=True)
class _Clock:
    """Times are whole seconds since `start`; the period is [0, end)."""

    start: datetime
    end: int

    @property
    def last_visit(self) -> int:
        # Leaves room for a visit's click, cart and purchase before the end.
        return self.end - 2 * 3600

    def at(self, seconds: int) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def visits(self, rng: np.random.Generator, earliest: IntArray) -> IntArray:
        """One visit time per entry, uniform over the days after `earliest`, by hour."""
        n = earliest.size
        hi = self.last_visit
        lo = np.minimum(earliest + 120, hi - 1)
        raw = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
        offset = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        day = (raw + offset) // _DAY
        hour = rng.choice(24, size=n, p=_HOURLY_P)
        t = day * _DAY + hour * 3600 + rng.integers(0, 3600, n) - offset
        out: IntArray = np.clip(t, lo, hi).astype(np.int64)
        return out


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True, slots=True)
class _Catalog:
    items: list[Item]
    category: IntArray  # per item, index into _CATEGORY_SPECS
    weight: FloatArray  # per item, popularity (Zipf within its category)
    quality: FloatArray  # per item, shifts its ratings
    queries: list[tuple[str, str]]  # per item, a short and a longer search text
    members: list[IntArray]  # per category, its items
    cdf: list[FloatArray]  # per category, cumulative popularity of `members`

    def pick(self, rng: np.random.Generator, category: int, n: int) -> IntArray:
        cdf = self.cdf[category]
        at = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        out: IntArray = self.members[category][np.minimum(at, cdf.size - 1)]
        return out


def _allocate(total: int, weights: FloatArray) -> IntArray:
    """Split `total` in proportion to `weights` (largest remainder), at least 1 each."""
    share = weights / weights.sum() * (total - weights.size)
    counts = np.floor(share).astype(np.int64)
    rest = total - weights.size - int(counts.sum())
    counts[np.argsort(-(share - counts), kind="stable")[:rest]] += 1
    out: IntArray = counts + 1
    return out


def _build_catalog(n_items: int, rng: np.random.Generator) -> _Catalog:
    counts = _allocate(n_items, np.array([c.weight for c in _CATEGORY_SPECS]))
    drafts: list[tuple[int, str, str, str, tuple[str, ...]]] = []
    for ci, spec in enumerate(_CATEGORY_SPECS):
        options = [
            (f"{adjective} {noun}{variant}", adjective, noun, line.tags)
            for line in spec.lines
            for adjective in line.adjectives
            for noun, own in line.nouns
            for variant in own or line.variants
        ]
        order = rng.permutation(len(options))
        for k in range(int(counts[ci])):
            title, adjective, noun, tags = options[order[k % len(options)]]
            if k >= len(options):
                title = f"{title}, Edition {k // len(options) + 1}"
            drafts.append((ci, title, adjective, noun, tags))

    # Popularity rank inside each category, and the brands that sell there.
    category = np.array([d[0] for d in drafts], dtype=np.int64)
    rank = np.zeros(n_items, dtype=np.int64)
    brand_of = [""] * n_items
    for ci, spec in enumerate(_CATEGORY_SPECS):
        where = np.flatnonzero(category == ci)
        rank[where] = rng.permutation(where.size) + 1
        brands = _CATEGORY_BRANDS.get(spec.code) or tuple(
            _BRANDS[int(b)] for b in rng.choice(len(_BRANDS), _BRANDS_PER_CATEGORY, False)
        )
        brand_p = 1.0 / np.arange(1, len(brands) + 1) ** 0.8
        chosen = rng.choice(len(brands), where.size, p=brand_p / brand_p.sum())
        for at, b in zip(where.tolist(), chosen.tolist(), strict=True):
            brand_of[at] = brands[b]
    weight = rank.astype(np.float64) ** -_ZIPF_EXPONENT
    quality = rng.normal(0.0, 0.45, n_items)
    fresh = rng.random(n_items) < 0.08
    sensitive = np.array([_CATEGORY_SPECS[c].sensitive is not None for c in category])
    n_editorial = min(20, max(1, n_items // 120))
    editorial = set(rng.choice(np.flatnonzero(~sensitive), n_editorial, replace=False).tolist())

    # SKU numbers do not follow categories.
    sku = rng.permutation(n_items)
    items: list[Item] = [Item("", "", "")] * n_items
    queries: list[tuple[str, str]] = [("", "")] * n_items
    for n, (ci, title, adjective, noun, line_tags) in enumerate(drafts):
        spec = _CATEGORY_SPECS[ci]
        extra = ("bestseller",) * bool(rank[n] <= 3) + ("new",) * bool(fresh[n])
        items[int(sku[n])] = Item(
            item_id=f"sku-{int(sku[n]) + 1:06d}",
            title=title,
            category=spec.code,
            provider=brand_of[n],
            tags=(spec.code, *line_tags, *extra),
            sensitive=frozenset({spec.sensitive}) if spec.sensitive else frozenset(),
            editorial=n in editorial,
        )
        queries[int(sku[n])] = (noun.lower(), f"{adjective} {noun}".lower())
    inverse = np.argsort(sku)  # position in `drafts` of each SKU
    category = category[inverse]
    weight = weight[inverse]
    members = [np.flatnonzero(category == ci) for ci in range(len(_CATEGORY_SPECS))]
    return _Catalog(
        items=items,
        category=category,
        weight=weight,
        quality=quality[inverse],
        queries=queries,
        members=members,
        cdf=[np.cumsum(weight[m]) for m in members],
    )


# --------------------------------------------------------------------------- people


def _segment_matrix() -> FloatArray:
    """P(category | segment): a floor over the whole shop plus the segment's favourites."""
    weights = np.array([c.weight for c in _CATEGORY_SPECS])
    sensitive = np.array([c.sensitive is not None for c in _CATEGORY_SPECS])
    floor = np.where(sensitive, 0.08, 0.35) * weights / weights.mean()
    rows = []
    for n, (_, _, boosts) in enumerate(_SEGMENT_SPECS):
        row = floor.copy()
        for code, boost in boosts.items():
            row[_CATEGORY_INDEX[code]] += boost
        if n == _TEEN:
            row[sensitive] = 0.0
        rows.append(row / row.sum())
    return np.array(rows)


_SEGMENT_P = _segment_matrix()
_SEGMENT_CDF = np.cumsum(_SEGMENT_P, axis=1)


@dataclass(frozen=True, slots=True)
class _Persona:
    name: str
    segment: str
    attributes: SubjectAttributes


_PERSONA_SPECS = (
    _Persona("alice", "runner", SubjectAttributes(AgeBand.A35_44, "north-west", "female",
                                                  "physiotherapist", "Europe/London")),
    _Persona("bob", "motorist", SubjectAttributes(AgeBand.A45_54, "south", "male",
                                                  "electrician")),
    _Persona("carol", "home_cook", SubjectAttributes(AgeBand.A55_64, "east", "female",
                                                     "teacher", "Europe/Berlin")),
    _Persona("dan", "teen", SubjectAttributes(AgeBand.UNDER_18, "central", "male", "student",
                                              "Europe/Dublin")),
    _Persona("erin", "style", SubjectAttributes(AgeBand.A25_34, "south-east", "female",
                                                "designer", "Europe/Paris")),
)  # fmt: skip
_SEGMENT_INDEX = {name: n for n, (name, _, _) in enumerate(_SEGMENT_SPECS)}


@dataclass(frozen=True, slots=True)
class _People:
    """Subjects (personas first) and their hidden traits, by position."""

    subjects: list[Subject]
    segment: IntArray
    favourite: IntArray  # a category visited beyond the segment's taste
    consent_class: IntArray  # _NONE.._FULL; personas are scripted separately
    existing: BoolArray  # a customer from before the period
    first_seen: IntArray  # when the first consent choice would be made
    join: IntArray  # events start after this
    activity: FloatArray  # relative number of visits; 0 for personas


def _build_people(n_subjects: int, clock: _Clock, rng: np.random.Generator) -> _People:
    n_personas = len(_PERSONA_SPECS)
    n = n_subjects - n_personas
    age = rng.choice(len(_AGE_BANDS), n, p=np.array(_AGE_WEIGHTS) / sum(_AGE_WEIGHTS))
    region = rng.choice(len(_REGIONS), n, p=np.array(_REGION_WEIGHTS) / sum(_REGION_WEIGHTS))
    gender = rng.choice(len(_GENDERS), n, p=_GENDER_WEIGHTS)
    job = rng.choice(len(_OCCUPATIONS), n)
    job_u = rng.random(n)
    minor = age == 0
    adult_p = np.array([share for _, share, _ in _SEGMENT_SPECS])
    segment = np.where(minor, _TEEN, rng.choice(len(_SEGMENT_SPECS), n, p=adult_p / adult_p.sum()))
    favourite = (rng.random(n)[:, None] > _SEGMENT_CDF[segment]).sum(axis=1)
    favourite = np.minimum(favourite, len(_CATEGORY_SPECS) - 1)
    consent_class = rng.choice(4, n, p=_CLASS_P)
    # Minors never grant: a minor who would have granted made no choice or declined.
    consent_class = np.where(minor & (consent_class == _BASIC), _DENY, consent_class)
    consent_class = np.where(minor & (consent_class == _FULL), _NONE, consent_class)
    existing = rng.random(n) < 0.5
    joined = (rng.random(n) * 0.85 * clock.end).astype(np.int64)
    join = np.where(existing, 0, joined)
    first_seen = np.where(
        existing,
        -rng.integers(_DAY, 365 * _DAY, n),
        np.maximum(joined - rng.integers(10, 600, n), 0),
    )
    activity = rng.lognormal(0.0, 1.1, n) * _CLASS_ACTIVITY[consent_class]
    activity *= (clock.last_visit - join) / clock.last_visit

    # The personas have fictional identifying fields, so exports and erasure show them.
    subjects = [
        Subject(p.name, p.attributes, Identity(f"{p.name}@example.com", p.name.title()))
        for p in _PERSONA_SPECS
    ]
    for i in range(n):
        band = _AGE_BANDS[int(age[i])]
        if band is AgeBand.UNDER_18 or (band is AgeBand.A18_24 and job_u[i] < 0.45):
            occupation: str | None = "student" if job_u[i] < 0.7 else None
        elif band is AgeBand.A65_PLUS and job_u[i] < 0.75:
            occupation = "retired"
        else:
            occupation = None if job_u[i] < 0.2 else _OCCUPATIONS[int(job[i])]
        subjects.append(
            Subject(
                f"s-{i + 1:05d}",
                SubjectAttributes(
                    age_band=band,
                    region=_REGIONS[int(region[i])],
                    gender=_GENDERS[int(gender[i])],
                    occupation=occupation,
                ),
            )
        )
    persona_segment = np.array([_SEGMENT_INDEX[p.segment] for p in _PERSONA_SPECS])
    zeros = np.zeros(n_personas, dtype=np.int64)
    return _People(
        subjects=subjects,
        segment=np.concatenate([persona_segment, segment]).astype(np.int64),
        favourite=np.concatenate([zeros, favourite]).astype(np.int64),
        consent_class=np.concatenate([zeros, consent_class]).astype(np.int64),
        existing=np.concatenate([np.ones(n_personas, dtype=np.bool_), existing]),
        first_seen=np.concatenate([zeros, first_seen]).astype(np.int64),
        join=np.concatenate([zeros, join]).astype(np.int64),
        activity=np.concatenate([np.zeros(n_personas), activity]),
    )


# --------------------------------------------------------------------------- consent

_SELF_EXCLUDED = ("gambling", "alcohol")
_WITHDRAW_WEIGHT = {
    PERSONALIZATION_BEHAVIORAL: 0.45,
    ANALYTICS_AGGREGATE: 0.2,
    MARKETING_EMAIL: 0.15,
    PERSONALIZATION_EXPLICIT: 0.1,
}


def _sensitive_interest() -> FloatArray:
    """P(sensitive code | segment), from each segment's taste for sensitive categories."""
    codes = sorted({c.sensitive for c in _CATEGORY_SPECS if c.sensitive})
    out = np.zeros((len(_SEGMENT_SPECS), len(codes)))
    for ci, spec in enumerate(_CATEGORY_SPECS):
        if spec.sensitive:
            out[:, codes.index(spec.sensitive)] += _SEGMENT_P[:, ci]
    out[_TEEN] = 1.0  # unused: minors never opt in
    normalised: FloatArray = out / out.sum(axis=1, keepdims=True)
    return normalised


_SENSITIVE_CODES = tuple(sorted({c.sensitive for c in _CATEGORY_SPECS if c.sensitive}))
_SENSITIVE_P = _sensitive_interest()

_G, _D, _W = ConsentStatus.GRANTED, ConsentStatus.DENIED, ConsentStatus.WITHDRAWN


def _build_consents(
    people: _People, clock: _Clock, rng: np.random.Generator
) -> list[ConsentChoice]:
    # (time, subject position, purpose, status, method), sorted at the end.
    rows: list[tuple[int, int, str, ConsentStatus, ConsentMethod]] = []
    web = ConsentMethod.WEB_FORM
    latest = clock.end - 3600

    def later(t: int, u: float, lo: int = 3600, hi: int = 60 * _DAY) -> int:
        """A moment in the period after `t`, `lo` to `hi` seconds later where possible."""
        base = max(t, 0) + lo
        return int(min(base + u * (hi - lo), latest))

    # Personas, scripted.
    day = _DAY
    persona = {p.name: n for n, p in enumerate(_PERSONA_SPECS)}
    full = (PERSONALIZATION_EXPLICIT, PERSONALIZATION_BEHAVIORAL, ANALYTICS_AGGREGATE)
    rows += [(-120 * day + 51_300, persona["alice"], p, _G, web) for p in (*full, MARKETING_EMAIL)]
    rows += [
        (min(3 * day + 68_400, latest), persona["carol"], PERSONALIZATION_EXPLICIT, _G, web),
        (min(3 * day + 68_400, latest), persona["carol"], PERSONALIZATION_BEHAVIORAL, _D, web),
        (min(10 * day + 59_000, latest), persona["dan"], PERSONALIZATION_EXPLICIT, _D, web),
        (min(10 * day + 59_000, latest), persona["dan"], PERSONALIZATION_BEHAVIORAL, _D, web),
    ]
    rows += [(-30 * day + 72_000, persona["erin"], p, _G, web) for p in (*full, MARKETING_EMAIL)]
    excluded = min(20 * day + 77_400, latest)
    rows += [
        (excluded, persona["erin"], sensitive_purpose_code(code), _D, web)
        for code in _SELF_EXCLUDED
    ]

    # Everyone else, by consent class.
    n = len(people.subjects)
    u = rng.random((n, 12))
    for i in range(len(_PERSONA_SPECS), n):
        cls = int(people.consent_class[i])
        if cls == _NONE:
            continue
        t = int(people.first_seen[i])
        method = ConsentMethod.IMPORT if people.existing[i] and u[i, 0] < 0.4 else web
        choices: list[tuple[int, str, ConsentStatus]] = []
        if cls == _DENY:
            choices += [(t, PERSONALIZATION_EXPLICIT, _D), (t, PERSONALIZATION_BEHAVIORAL, _D)]
            # Minors never grant anything, not even statistics.
            minor = people.subjects[i].attributes.is_minor
            analytics = _G if u[i, 1] < 0.25 and not minor else _D if u[i, 1] < 0.55 else None
            marketing = None
        else:
            behavioral = _G if cls == _FULL else _D
            choices += [
                (t, PERSONALIZATION_EXPLICIT, _G),
                (t, PERSONALIZATION_BEHAVIORAL, behavioral),
            ]
            yes, no = (0.8, 0.9) if cls == _FULL else (0.6, 0.75)
            analytics = _G if u[i, 1] < yes else _D if u[i, 1] < no else None
            marketing = _G if u[i, 2] < (0.35 if cls == _FULL else 0.2) else None
            if u[i, 2] < 0.1:
                choices.append((t, MARKETING_PUSH, _G))
        if analytics is not None:
            # Whoever answers for the shop's statistics answers the same for trends among
            # people like them: those who decline profiling but allow both get "trends only".
            choices.append((t, ANALYTICS_AGGREGATE, analytics))
            choices.append((t, PERSONALIZATION_AGGREGATE, analytics))
        if marketing is not None:
            choices.append((t, MARKETING_EMAIL, marketing))
        rows += [(when, i, purpose, status, method) for when, purpose, status in choices]

        # Later, in the privacy settings: a sensitive opt-in, or a self-exclusion.
        extra: list[tuple[int, str, ConsentStatus]] = []
        if cls in (_BASIC, _FULL):
            if u[i, 3] < 0.06:
                p = _SENSITIVE_P[int(people.segment[i])]
                k = int(np.searchsorted(np.cumsum(p), u[i, 4] * p.sum()))
                code = _SENSITIVE_CODES[min(k, len(_SENSITIVE_CODES) - 1)]
                extra.append((later(t, u[i, 5]), sensitive_purpose_code(code), _G))
            elif u[i, 6] < 0.025:
                code = _SELF_EXCLUDED[int(u[i, 7] < 0.4)]
                extra.append((later(t, u[i, 5]), sensitive_purpose_code(code), _D))
        rows += [(when, i, purpose, status, web) for when, purpose, status in extra]

        # Some change their mind and withdraw one grant.
        granted = [(when, p) for when, p, s in choices + extra if s is _G]
        if granted and u[i, 8] < 0.08:
            weights = np.array([_WITHDRAW_WEIGHT.get(p, 0.1) for _, p in granted])
            k = int(np.searchsorted(np.cumsum(weights), u[i, 9] * weights.sum()))
            when, purpose = granted[min(k, len(granted) - 1)]
            lo = max(when, 0) + _DAY
            if lo < latest:
                rows.append((int(lo + u[i, 10] * (latest - lo)), i, purpose, _W, web))

    rows.sort(key=lambda r: (r[0], r[1]))
    return [
        ConsentChoice(people.subjects[i].subject_id, purpose, status, method, clock.at(t))
        for t, i, purpose, status, method in rows
    ]


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class _Episodes:
    """Visits to one item: a view, perhaps after a search, perhaps down the funnel."""

    subject: IntArray
    item: IntArray
    t0: IntArray  # the view
    search: BoolArray
    click: BoolArray
    cart: BoolArray
    purchase: BoolArray
    rating: BoolArray
    stars: IntArray

    @property
    def n_events(self) -> int:
        flags = (self.search, self.click, self.cart, self.purchase, self.rating)
        return int(self.subject.size + sum(int(f.sum()) for f in flags))

    @staticmethod
    def concat(parts: Sequence[_Episodes]) -> _Episodes:
        return _Episodes(
            subject=np.concatenate([p.subject for p in parts]),
            item=np.concatenate([p.item for p in parts]),
            t0=np.concatenate([p.t0 for p in parts]),
            search=np.concatenate([p.search for p in parts]),
            click=np.concatenate([p.click for p in parts]),
            cart=np.concatenate([p.cart for p in parts]),
            purchase=np.concatenate([p.purchase for p in parts]),
            rating=np.concatenate([p.rating for p in parts]),
            stars=np.concatenate([p.stars for p in parts]),
        )


def _funnel(
    rng: np.random.Generator,
    n: int,
    click: float = _P_CLICK,
    cart: float = _P_CART,
    purchase: float = _P_PURCHASE,
    rating: float = _P_RATING,
    search: float = _P_SEARCH,
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray, BoolArray]:
    u = rng.random((n, 5))
    clicked = u[:, 0] < click
    carted = clicked & (u[:, 1] < cart)
    bought = carted & (u[:, 2] < purchase)
    rated = bought & (u[:, 3] < rating)
    return u[:, 4] < search, clicked, carted, bought, rated


def _stars(rng: np.random.Generator, catalog: _Catalog, item: IntArray, mean: float) -> IntArray:
    raw = mean + catalog.quality[item] + rng.normal(0.0, 0.9, item.size)
    return np.clip(np.rint(raw), 1, 5).astype(np.int64)


def _random_episodes(
    people: _People, catalog: _Catalog, clock: _Clock, target: int, rng: np.random.Generator
) -> _Episodes:
    """Visits of the generated subjects, at least one each, `target` events or more."""
    pool = np.flatnonzero(people.activity > 0)
    p = people.activity[pool] / people.activity[pool].sum()
    per_visit = 1 + _P_SEARCH + _P_CLICK * (1 + _P_CART * (1 + _P_PURCHASE * (1 + _P_RATING)))
    subject_parts = [pool]
    flag_parts = [_funnel(rng, pool.size)]
    total = pool.size + sum(int(f.sum()) for f in flag_parts[0])
    while total < target:
        more = int(np.ceil((target - total) / per_visit * 1.03)) + 16
        subject_parts.append(rng.choice(pool, more, p=p))
        flag_parts.append(_funnel(rng, more))
        total += more + sum(int(f.sum()) for f in flag_parts[-1])
    subject = np.concatenate(subject_parts)
    search, click, cart, purchase, rating = (
        np.concatenate([f[k] for f in flag_parts]) for k in range(5)
    )
    # Keep every subject's first visit, then only as many visits as the target needs.
    counts = 1 + search.astype(np.int64) + click + cart + purchase + rating
    keep = max(pool.size, int(np.searchsorted(np.cumsum(counts), target)) + 1)
    keep = min(keep, subject.size)
    subject = subject[:keep]

    segment = people.segment[subject]
    cat = (rng.random(keep)[:, None] > _SEGMENT_CDF[segment]).sum(axis=1)
    cat = np.minimum(cat, len(_CATEGORY_SPECS) - 1)
    cat = np.where(rng.random(keep) < _P_FAVOURITE, people.favourite[subject], cat)
    item = np.zeros(keep, dtype=np.int64)
    for ci in range(len(_CATEGORY_SPECS)):
        where = np.flatnonzero(cat == ci)
        if where.size:
            item[where] = catalog.pick(rng, ci, where.size)
    return _Episodes(
        subject=subject,
        item=item,
        t0=clock.visits(rng, people.join[subject]),
        search=search[:keep],
        click=click[:keep],
        cart=cart[:keep],
        purchase=purchase[:keep],
        rating=rating[:keep],
        stars=_stars(rng, catalog, item, 3.9),
    )


def _persona_episodes(catalog: _Catalog, clock: _Clock, rng: np.random.Generator) -> _Episodes:
    """The personas' scripted histories, drawn from the same catalog as everyone's."""
    position = {p.name: n for n, p in enumerate(_PERSONA_SPECS)}
    parts: list[_Episodes] = []

    def visits(
        name: str,
        categories: Sequence[str],
        n: int,
        *,
        only: Mapping[str, str] | None = None,
        distinct: bool = False,
        stars: float = 4.0,
        click: float = _P_CLICK,
        cart: float = _P_CART,
        purchase: float = _P_PURCHASE,
        rating: float = _P_RATING,
        search: float = _P_SEARCH,
    ) -> None:
        items = _pick_from(catalog, rng, categories, n, only or {}, distinct)
        flags = _funnel(rng, n, click, cart, purchase, rating, search)
        parts.append(
            _Episodes(
                np.full(n, position[name], dtype=np.int64),
                items,
                clock.visits(rng, np.zeros(n, dtype=np.int64)),
                *flags,
                stars=_stars(rng, catalog, items, stars),
            )
        )

    running = {"sports": "running"}
    # alice: a runner who reads; about 40 purchases, nearly all rated, and many views.
    visits(
        "alice",
        ("sports", "outdoors", "books"),
        40,
        only=running,
        distinct=True,
        click=1,
        cart=1,
        purchase=1,
        rating=0.9,
        search=0.3,
        stars=4.5,
    )
    visits("alice", ("sports", "outdoors"), 200, only=running, cart=0.15, purchase=0, search=0.1)
    visits("alice", ("books",), 80, cart=0.1, purchase=0, search=0.1)
    visits("alice", ("grocery", "electronics", "home"), 25, purchase=0)
    # bob: no choice recorded, ordinary browsing and a few purchases.
    visits("bob", ("automotive", "electronics", "outdoors"), 45, rating=0.2, stars=3.8)
    # carol: cooks; purchases in kitchen and grocery, browsing she did not agree to share.
    visits(
        "carol",
        ("kitchen", "grocery"),
        16,
        distinct=True,
        click=1,
        cart=1,
        purchase=1,
        rating=0.7,
        search=0.2,
        stars=4.2,
    )
    visits("carol", ("kitchen", "grocery", "home"), 70, purchase=0)
    # dan: a teenager into games and music.
    visits("dan", ("games", "toys", "music"), 45, rating=0.3)
    # erin: fashion and beauty, and she has looked at betting and wine.
    visits("erin", ("fashion", "beauty", "home"), 70, rating=0.5, stars=4.1)
    visits(
        "erin", ("betting_lottery", "wine_spirits"), 14, click=0.4, cart=0.1, purchase=0, search=0.2
    )
    return _Episodes.concat(parts)


def _pick_from(
    catalog: _Catalog,
    rng: np.random.Generator,
    categories: Sequence[str],
    n: int,
    only: Mapping[str, str],
    distinct: bool,
) -> IntArray:
    """Items of `categories` by popularity; `only` narrows a category to one tag."""
    pools: list[IntArray] = []
    for code in categories:
        members = catalog.members[_CATEGORY_INDEX[code]]
        tag = only.get(code)
        if tag is not None:
            tagged = members[[tag in catalog.items[int(m)].tags for m in members]]
            members = tagged if tagged.size else members
        pools.append(members)
    pool = np.concatenate(pools)
    p = catalog.weight[pool] / catalog.weight[pool].sum()
    if not distinct:
        return rng.choice(pool, n, p=p).astype(np.int64)
    first = rng.choice(pool, min(n, pool.size), replace=False, p=p)
    rest = rng.choice(pool, n - first.size, p=p)
    return np.concatenate([first, rest]).astype(np.int64)


# Order of the steps of one visit; also breaks ties between equal timestamps.
_STEPS = (
    EventType.SEARCH,
    EventType.VIEW,
    EventType.CLICK,
    EventType.ADD_TO_CART,
    EventType.PURCHASE,
    EventType.RATING,
)


def _expand(
    visits: _Episodes,
    catalog: _Catalog,
    people: _People,
    clock: _Clock,
    rng: np.random.Generator,
) -> list[Event]:
    """Turn visits into time-ordered events: search, view, click, cart, purchase, rating."""
    n = visits.subject.size
    t_click = visits.t0 + rng.integers(3, 120, n)
    t_cart = t_click + rng.integers(20, 900, n)
    t_purchase = t_cart + rng.integers(60, 2400, n)
    steps = (
        (visits.search, visits.t0 - rng.integers(5, 90, n)),
        (np.ones(n, dtype=np.bool_), visits.t0),
        (visits.click, t_click),
        (visits.cart, t_cart),
        (visits.purchase, t_purchase),
        (visits.rating, np.minimum(t_purchase + rng.integers(_DAY, 21 * _DAY, n), clock.end - 1)),
    )
    longer_query = rng.random(n) < 0.5
    visit = np.concatenate([np.flatnonzero(mask) for mask, _ in steps])
    kind = np.concatenate([np.full(int(mask.sum()), k) for k, (mask, _) in enumerate(steps)])
    when = np.concatenate([t[mask] for mask, t in steps])
    order = np.lexsort((kind, visits.subject[visit], when))
    visit, kind, when = visit[order], kind[order], when[order]

    subject_ids = [s.subject_id for s in people.subjects]
    item_ids = [i.item_id for i in catalog.items]
    search, rating = _STEPS.index(EventType.SEARCH), _STEPS.index(EventType.RATING)
    start = clock.start
    events: list[Event] = []
    for s, i, k, t, stars, longer in zip(
        visits.subject[visit].tolist(),
        visits.item[visit].tolist(),
        kind.tolist(),
        when.tolist(),
        visits.stars[visit].tolist(),
        longer_query[visit].tolist(),
        strict=True,
    ):
        events.append(
            Event(
                subject_id=subject_ids[s],
                event_type=_STEPS[k],
                occurred_at=start + timedelta(seconds=t),
                item_id=item_ids[i],
                value=float(stars) if k == rating else None,
                query=catalog.queries[i][longer] if k == search else None,
            )
        )
    return events
