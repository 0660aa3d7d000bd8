"""Demo traffic: a month of recommendation and messaging decisions, and what people did next.

The demo store (`generator`) holds a shop's history; this module plays the month after it
through the real service, so the console, the decision history and the fairness audit have
something to show. Decisions are made by `Tactful.recommend` and `MessagingService.decide`
on a clock the build moves through the month (the records carry those times); engagements
are stored as ordinary events (so consent still decides which are kept) and as message
engagement reports.

How people engage is a plain, seeded model, documented here because the audit measures it:

* who visits: a sample of the shop's customers, the more active ones (more events in the
  history) more likely, as regulars come back more often; each sees the home page, some a
  product page and their basket too;
* a shown item is viewed with probability `VIEW_P` divided by log2(rank + 1) (attention
  falls with the position), times `INTEREST` when its category is one of the person's
  favourites (their taste segment's) and `OTHER` otherwise; a view may go on to a click, a
  cart and a purchase;
* after a visit a person may also find an item of their taste by themselves (`FOUND_P`), an
  engagement the list did not lead to;
* people aged 55-64 engage with what they are shown a quarter less and people over 65 half
  as much (`AGE_ENGAGEMENT`), though they find things by themselves as often: the lists fit
  older customers' tastes worse. This is the gap the demo's audit is there to find (quality
  by age band), so the console shows an alert an operator can read and acknowledge;
* campaigns go to people who agreed to marketing email (a marketer's list); a sent message
  is opened, clicked or converted more often when the campaign offers a category the
  person likes.

Everything is drawn from one seed; the decisions themselves come from the models, so a
different training gives other lists and other engagements.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from tactful.consent.ledger import ConsentStatus
from tactful.demo.generator import PERSONAS, DemoStore
from tactful.demo.vocabulary import SEGMENTS
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import MARKETING_EMAIL
from tactful.domain.subjects import AgeBand

if TYPE_CHECKING:
    from tactful.service import Tactful

WINDOW = timedelta(days=30)
SEED = 20261124
PEOPLE = 1200
# Each sampled person sees the home page; some also a product page and their basket.
SURFACES: tuple[tuple[str, float], ...] = (("home", 1.0), ("product", 0.6), ("basket", 0.3))
K = 10
VIEW_P = 0.15
INTEREST = 1.0
OTHER = 0.25
FOUND_P = 0.3
AGE_ENGAGEMENT = {AgeBand.A55_64: 0.75, AgeBand.A65_PLUS: 0.5}
CLICK_P, CART_P, PURCHASE_P = 0.45, 0.3, 0.4
# Who each demo campaign is decided for (a marketer's list), and its copy.
CAMPAIGN_PEOPLE = {"weekly-picks": 120, "autumn-running": 60, "lucky-spin": 40}
COPY = {
    "weekly-picks": "Our picks of the week: new arrivals and a few favourites from the shop.",
    "autumn-running": "Autumn running gear is in: jackets, shoes and lights for darker runs.",
    "lucky-spin": "The Lucky Spin weekend is on. Play for fun, set a limit, 18+ only.",
}
CAMPAIGN_CATEGORY = {"autumn-running": "sports", "lucky-spin": "betting_lottery"}


class DemoClock:
    """The build's time: it moves only when told to, so records carry the month's dates."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Traffic:
    decisions: int
    messages: int
    sent: int
    events: int
    events_stored: int
    message_engagements: int

    def as_dict(self) -> dict[str, int]:
        return {
            "decisions": self.decisions,
            "messages": self.messages,
            "sent": self.sent,
            "events": self.events,
            "events_stored": self.events_stored,
            "message_engagements": self.message_engagements,
        }


def record_traffic(
    service: Tactful,
    store: DemoStore,
    clock: DemoClock,
    end: datetime,
    *,
    people: int = PEOPLE,
    seed: int = SEED,
) -> Traffic:
    """Decide for a seeded sample over [end - WINDOW, end) with the clock moving through it,
    then store what people did; leaves the clock at `end`."""
    rng = np.random.default_rng(seed)
    start = end - WINDOW
    subjects = [s for s in store.subjects if s.subject_id not in PERSONAS]
    active = Counter(e.subject_id for e in store.events)
    weight = np.array([1.0 + active[s.subject_id] for s in subjects])
    chosen = rng.choice(
        len(subjects), size=min(people, len(subjects)), replace=False, p=weight / weight.sum()
    )
    plan: list[tuple[datetime, str, str, str]] = []  # (when, kind, subject, surface/campaign)
    span = (WINDOW - timedelta(hours=1)).total_seconds()
    for n in chosen.tolist():
        for surface, p in SURFACES:
            if rng.random() < p:
                at = start + timedelta(seconds=float(rng.random() * span))
                plan.append((at, "recommend", subjects[n].subject_id, surface))
    mailing = _mailing_list(store)
    # Office hours are counted from midnight, not from the hour the build happens to start
    # (from 13:00, "9 to 18 hours later" is all night, and quiet hours hold every message).
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for campaign, count in CAMPAIGN_PEOPLE.items():
        picked = rng.choice(len(mailing), size=min(count, len(mailing)), replace=False)
        for n in picked.tolist():
            # Sent in office hours (UTC), on any whole day of the month.
            day = int(rng.integers(1, WINDOW.days - 1))
            seconds = int(rng.integers(9 * 3600, 18 * 3600))
            at = midnight + timedelta(days=day, seconds=seconds)
            plan.append((at, "message", mailing[n], campaign))
    plan.sort()

    decisions: list[dict[str, Any]] = []
    messages: list[tuple[dict[str, Any], str]] = []
    for at, kind, subject_id, what in plan:
        clock.now = at
        if kind == "recommend":
            decisions.append(service.recommend(subject_id, k=K, surface=what))
        else:
            copy = COPY[what]
            messages.append((service.messaging.decide(subject_id, "email", what, copy), what))
    clock.now = end

    taste = {s: set(SEGMENTS.get(name, ())[:4]) for s, name in store.segments.items()}
    age = {s.subject_id: s.attributes.age_band for s in store.subjects}
    found = _Finder(store, taste)
    events = _engagements(decisions, taste, age, found, end, rng)
    stored = 0
    for n in range(0, len(events), 10_000):
        stored += service.add_events(events[n : n + 10_000]).stored
    reported = _message_engagements(service, messages, taste, end, rng)
    return Traffic(
        decisions=len(decisions),
        messages=len(messages),
        sent=sum(1 for m, _ in messages if m["decision"] == "send"),
        events=len(events),
        events_stored=stored,
        message_engagements=reported,
    )


def _mailing_list(store: DemoStore) -> list[str]:
    """Everyone whose last choice about marketing email was to agree, personas aside."""
    last: dict[str, ConsentStatus] = {}
    for choice in store.consents:  # chronological
        if choice.purpose == MARKETING_EMAIL:
            last[choice.subject_id] = choice.status
    return sorted(
        s for s, status in last.items() if status is ConsentStatus.GRANTED and s not in PERSONAS
    )


class _Finder:
    """Items a person finds by themselves: popular ones of their favourite categories."""

    def __init__(self, store: DemoStore, taste: dict[str, set[str]]) -> None:
        self.taste = taste
        seen = Counter(e.item_id for e in store.events)
        by_category: dict[str, list[str]] = {}
        for item in sorted(store.items, key=lambda i: (-seen[i.item_id], i.item_id)):
            if not item.sensitive:
                by_category.setdefault(item.category, []).append(item.item_id)
        self.by_category = by_category

    def pick(self, who: str, rng: np.random.Generator) -> str | None:
        categories = sorted(c for c in self.taste.get(who, ()) if c in self.by_category)
        if not categories:
            return None
        items = self.by_category[categories[int(rng.integers(len(categories)))]]
        # Zipf-like over the category's items by popularity: bestsellers are found most.
        rank = min(int(rng.zipf(1.6)) - 1, len(items) - 1)
        return items[rank]


def _engagements(
    decisions: Sequence[dict[str, Any]],
    taste: dict[str, set[str]],
    age: dict[str, AgeBand | None],
    found: _Finder,
    end: datetime,
    rng: np.random.Generator,
) -> list[Event]:
    """What people did after each decision, as events (see the module doc)."""
    events: list[Event] = []
    for decision in decisions:
        who = decision["subject_id"]
        created = datetime.fromisoformat(decision["created_at"])
        liked = taste.get(who, set())
        band = age.get(who)
        factor = AGE_ENGAGEMENT.get(band, 1.0) if band is not None else 1.0
        engaged = [
            item["item_id"]
            for item in decision["items"]
            if rng.random()
            < VIEW_P
            * (INTEREST if item["category"] in liked else OTHER)
            * factor
            / math.log2(item["rank"] + 1)
        ]
        if rng.random() < FOUND_P and (own := found.pick(who, rng)) is not None:
            engaged.append(own)
        for item_id in engaged:
            # Most come back within hours; a few days later at most.
            at = created + timedelta(seconds=float(min(rng.exponential(8 * 3600), 5 * 86_400)))
            events += _funnel(who, item_id, at, end, rng)
    return events


def _funnel(
    who: str, item_id: str, at: datetime, end: datetime, rng: np.random.Generator
) -> list[Event]:
    """A view, and perhaps a click, a cart and a purchase, minutes apart, all before `end`."""
    steps = [EventType.VIEW]
    if rng.random() < CLICK_P:
        steps.append(EventType.CLICK)
        if rng.random() < CART_P:
            steps.append(EventType.ADD_TO_CART)
            if rng.random() < PURCHASE_P:
                steps.append(EventType.PURCHASE)
    events = []
    for step in steps:
        if at >= end:
            break
        events.append(Event(who, step, at, item_id=item_id))
        at += timedelta(seconds=int(rng.integers(20, 900)))
    return events


def _message_engagements(
    service: Tactful,
    messages: Sequence[tuple[dict[str, Any], str]],
    taste: dict[str, set[str]],
    end: datetime,
    rng: np.random.Generator,
) -> int:
    """Opens, clicks and conversions of the sent messages; how many were reported."""
    reported = 0
    for message, campaign in messages:
        if message["decision"] != "send":
            continue
        offered = CAMPAIGN_CATEGORY.get(campaign)
        keen = offered is None or offered in taste.get(message["subject_id"], set())
        u = rng.random()
        kind = (
            "converted"
            if u < (0.06 if keen else 0.02)
            else "clicked"
            if u < (0.2 if keen else 0.08)
            else "opened"
            if u < 0.45
            else None
        )
        if kind is None:
            continue
        decided = datetime.fromisoformat(message["decided_at"])
        at = min(decided + timedelta(seconds=float(rng.exponential(6 * 3600))), end)
        service.messaging.engagement(message["message_id"], kind, at)
        reported += 1
    return reported
