"""What the messaging service, API, concurrency and unsubscribe tests share (no tests here):
a shop with campaigns on each backend, a guardrail policy file with the caps a test sets, a
clock the test moves, and an HTTP client on it. A test module takes the fixtures by importing
them into its `__all__`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tactful.api.app import create_app
from tactful.defaults import guardrails_document
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop
from tests.clock import Clock
from tests.http_helpers import OPERATOR, ok
from tests.trained_shop import T0

# A fair message, in plain words: no finding of the copy check.
FAIR = "Our autumn running shoes are in. Have a look when you like."
MARKETING = [
    {"purpose": "marketing.email", "status": "granted"},
    {"purpose": "marketing.sms", "status": "granted"},
    {"purpose": "marketing.push", "status": "granted"},
]
CAMPAIGNS: list[dict[str, Any]] = [
    {"campaign_id": "autumn", "title": "Autumn running", "category": "running"},
    {"campaign_id": "picked", "title": "Picked for you", "category": "books", "profiled": True},
    {"campaign_id": "derby", "title": "Derby day", "category": "gambling"},
    {"campaign_id": "plain", "title": "Store news"},
]


def policy_toml(
    *,
    email: str = "{ day = 1, week = 5 }",
    overall: str = "{ day = 3, week = 10 }",
    quiet: str = '{ start = "21:00", end = "08:00" }',
) -> str:
    """The shipped policy with these caps and quiet hours (TOML inline tables)."""
    text = _shipped()
    for old, new in (
        ("overall = { day = 3, week = 10 }", f"overall = {overall}"),
        ('quiet_hours = { start = "21:00", end = "08:00" }', f"quiet_hours = {quiet}"),
        (
            'purpose = "marketing.email"\ncap = { day = 1, week = 5 }',
            f'purpose = "marketing.email"\ncap = {email}',
        ),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


def _shipped() -> str:
    from importlib import resources

    guardrails_document()  # the file parses
    return resources.files("tactful.defaults").joinpath("guardrails.toml").read_text("utf-8")


def with_policy(settings: Settings, tmp_path: Path, toml: str) -> Settings:
    path = tmp_path / "guardrails.toml"
    path.write_text(toml, "utf-8")
    return settings.model_copy(update={"guardrails_file": path})


def populate(service: Tactful) -> None:
    """Items and people of the test shop; alice and bob granted every marketing channel
    (dan, a minor, too); the campaigns."""
    service.ingest_items(shop.items())
    service.ingest_subjects(
        [
            *shop.subjects(),
            {"subject_id": "tokyo", "age_band": "25-34", "time_zone": "Asia/Tokyo"},
        ]
    )
    for who in ("alice", "bob", "dan", "erin", "tokyo"):
        service.record_consents(who, {"choices": [*shop.FULL, *MARKETING]})
    for c in CAMPAIGNS:
        service.messaging.add_campaign(
            c["campaign_id"], c["title"], c.get("category"), c.get("profiled", False)
        )


def open_shop(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    service = Tactful(settings, clock=clock)
    populate(service)
    yield service
    service.close()


def count(service: Tactful, table: str = "messages", **where: Any) -> int:
    """Rows of `table` matching `where` (column == value)."""
    table_ = t.metadata.tables[table]
    query = select(func.count()).select_from(table_)
    for column, value in where.items():
        query = query.where(table_.c[column] == value)
    with service.store.reading() as conn:
        return int(conn.execute(query).scalar_one())


def decide_body(subject_id: str = "alice", **fields: Any) -> dict[str, Any]:
    return {"subject_id": subject_id, "channel": "email", "campaign_id": "autumn", "copy": FAIR} | (
        fields
    )


def decide(client: TestClient, subject_id: str = "alice", **fields: Any) -> dict[str, Any]:
    return ok(
        client.post("/v1/messages/decide", json=decide_body(subject_id, **fields), headers=OPERATOR)
    )


def failed(answer: dict[str, Any]) -> list[str]:
    """The names of the checks a decision failed."""
    return [c["name"] for c in answer["checks"] if not c["passed"]]


def token_of(answer: dict[str, Any]) -> str:
    """The unsubscribe token in a sent email's List-Unsubscribe header."""
    link = answer["headers"]["List-Unsubscribe"]
    assert link.startswith("<"), link
    assert link.endswith(">"), link
    return str(link[1:-1].rsplit("/", 1)[1])


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def mservice(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    """The shop with the shipped guardrail policy."""
    yield from open_shop(settings, clock)


@pytest.fixture
def mclient(mservice: Tactful) -> TestClient:
    return TestClient(create_app(mservice.settings, mservice), raise_server_exceptions=False)


__all__ = [
    "CAMPAIGNS",
    "FAIR",
    "MARKETING",
    "clock",
    "count",
    "decide",
    "decide_body",
    "failed",
    "mclient",
    "mservice",
    "open_shop",
    "policy_toml",
    "populate",
    "token_of",
    "with_policy",
]
