"""The aggregate level through the service and the HTTP API, on SQLite and PostgreSQL: the
level follows consent at once, decisions rank by the released cohort trends and say so,
training counts only consenting adults and no sensitive item, and every release is recorded
and added up in the transparency document."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tactful.candidates.base import History
from tactful.consent.ledger import ConsentMethod
from tactful.consent.notice import parse_notice
from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.services.export import export_schema, export_subject
from tactful.settings import Settings
from tactful.storage import tables as t
from tests import shop
from tests.aggregate.conftest import AGGREGATE, aggregate_settings
from tests.http_helpers import ok, problem, subject_headers

RUNNING = {f"running-{n}" for n in range(4)}
WEB = ConsentMethod.WEB_FORM


def _withdraw(service: Tactful, subject_id: str) -> dict[str, Any]:
    return service.record_consents(
        subject_id, {"choices": [{"purpose": AGGREGATE, "status": "withdrawn"}]}
    )


def test_the_level_follows_consent_and_ranks_by_the_cohorts_trends(service: Tactful) -> None:
    assert service.set_level("alice", "aggregate", WEB)["level"] == "aggregate"
    record = service.recommend("alice", k=4)
    assert record["level"] == "aggregate"
    assert record["model"]["name"] == "cohorts"
    assert (record["personalized"], record["signals_used"]) == (False, {})
    assert record["purposes"] == [AGGREGATE]
    # The north 25-34 cohort buys running items; minors (toys) and people who shared only
    # shop statistics (garden) are not counted.
    assert {i["item_id"] for i in record["items"]} == RUNNING
    explanation = record["items"][0]["explanation"]
    assert explanation["reason_code"] == "cohort"
    assert explanation["reason_args"] == {"cohort": "north, 25-34", "k": "30", "epsilon": "50"}
    assert explanation["purposes"] == [AGGREGATE]
    assert any("north, 25-34" in note for note in record["notes"])

    # Withdrawn: off on the very next decision.
    assert _withdraw(service, "alice")["level"] == "off"
    after = service.recommend("alice", k=4)
    assert (after["level"], after["model"]["name"], after["purposes"]) == (
        "off",
        "popularity",
        [],
    )


def test_people_without_a_released_cohort_get_everyones_trends(service: Tactful) -> None:
    expected = {
        "bob": ("cohort_population.too_small", {"cohort": "south, 35-44", "k": "30"}),
        "carol": ("cohort_population.no_cohort", {}),  # no region
    }
    for who, (code, args) in expected.items():
        service.set_level(who, "aggregate", WEB)
        record = service.recommend(who, k=4)
        assert (record["level"], record["model"]["name"]) == ("aggregate", "cohorts")
        explanation = record["items"][0]["explanation"]
        assert explanation["reason_code"] == code
        assert args.items() <= explanation["reason_args"].items()
        assert {i["item_id"] for i in record["items"]} == RUNNING  # the biggest group's


def test_a_minor_stays_off_whatever_they_grant(service: Tactful) -> None:
    assert service.set_level("dan", "aggregate", WEB)["level"] == "off"
    record = service.recommend("dan", k=4)
    assert (record["level"], record["model"]["name"]) == ("off", "popularity")


def test_the_trends_count_only_consenting_adults_and_no_sensitive_item(service: Tactful) -> None:
    with service.store.reading() as conn:
        handle = service.aggregate.model(conn)
    assert handle is not None
    assert not {"wine-1", "bet-1", "bet-2", "pill-1"} & set(handle.item_ids)
    population = handle.recommender.score(History.empty())
    count = {item: float(population[col]) for item, col in handle.index.items()}
    # ε = 50: noise of scale 1 at most; the 60 northerners and 10 southerners, nobody else.
    assert all(abs(count[i] - 60) <= 8 for i in RUNNING)
    assert all(abs(count[f"kitchen-{n}"] - 10) <= 8 for n in range(2))
    for kind in ("toys", "garden"):
        assert all(count[f"{kind}-{n}"] <= 8 for n in range(4)), kind


@pytest.mark.slow
def test_each_release_is_recorded_and_the_budget_adds_up(service: Tactful) -> None:
    releases = service.privacy_releases()
    assert len(releases) == 1
    first = releases[0]
    assert first["epsilon"] == 50.0
    assert first["delta"] == 0.0
    assert (first["min_cohort"], first["max_items"]) == (30, 5)
    assert first["cohort_by"] == ["region", "age_band"]
    assert (first["cohorts_released"], first["cohorts_suppressed"]) == (1, 11)
    assert abs(first["contributors_noisy"] - 70) <= 3  # 60 + 10, as a noisy count
    assert first["sensitivity"] == 2 * (5 + 2)
    assert first["noise_scale"] == 14 / 50
    # The candidates: the first 50 of the popularity model published just before.
    with service.store.reading() as conn:
        popular = service.store.latest_model(conn, "popularity")
        handle = service.aggregate.model(conn)
    assert popular is not None
    assert handle is not None
    assert first["candidates_from"] == popular.version
    assert first["candidate_items"] == min(50, handle.recommender.n_items)

    service.train()
    releases = service.privacy_releases()
    assert len(releases) == 2
    aggregate = service.main_parameters()["aggregate"]
    assert aggregate["total_epsilon"] == 100.0
    assert aggregate["epsilon_per_release"] == 50.0
    assert [r["release_id"] for r in aggregate["releases"]] == [r["release_id"] for r in releases]
    assert (aggregate["min_cohort"], aggregate["max_items_per_person"]) == (30, 5)
    assert aggregate["candidates"] == 50
    assert "first 50 items of the popular list" in aggregate["text"]
    assert aggregate["regions"] == ["north", "south"]
    with service.store.reading() as conn:
        rows = conn.execute(select(func.count()).select_from(t.privacy_releases)).scalar_one()
        versions = {r["model_version"] for r in releases}
        saved = set(
            conn.execute(
                select(t.model_versions.c.version).where(t.model_versions.c.name == "cohorts")
            ).scalars()
        )
    assert rows == 2
    assert versions == saved
    audited = service.audit.entries(action="privacy.release")
    assert len(audited) == 2
    assert {e.detail["model_version"] for e in audited} == versions
    assert all(e.detail["epsilon"] == 50.0 for e in audited)
    levels = {lv["level"]: lv for lv in service.main_parameters()["levels"]}
    assert levels["aggregate"]["recommender"] == "cohorts"
    assert [p["purpose"] for p in levels["aggregate"]["turned_on_by"]] == [AGGREGATE]


def test_the_consumer_api_offers_the_level_and_explains_it(
    service: Tactful, client: TestClient
) -> None:
    me = subject_headers(client, "alice")
    chosen = ok(client.put("/v1/me/level", json={"level": "aggregate"}, headers=me))
    assert chosen["level"] == "aggregate"
    problem(client.put("/v1/me/level", json={"level": "maximum"}, headers=me), 422)
    record = ok(client.get("/v1/me/recommendations?k=3", headers=me))
    assert record["level"] == "aggregate"
    why = ok(client.get(f"/v1/me/decisions/{record['decision_id']}", headers=me))
    item = why["items"][0]
    assert item["reason_code"] == "cohort"
    assert item["personal"] is False
    assert item["purposes_relied_on"][0]["purpose"] == AGGREGATE
    assert [c["code"] for c in item["controls"]] == ["withdraw_consent"]
    body = ok(client.get("/v1/transparency/recommender"))
    assert body["aggregate"]["total_epsilon"] == 50.0
    assert len(body["aggregate"]["releases"]) == 1
    # Back to off through the same endpoint: at once.
    assert ok(client.put("/v1/me/level", json={"level": "off"}, headers=me))["level"] == "off"
    assert ok(client.get("/v1/me/recommendations?k=3", headers=me))["level"] == "off"
    spec = ok(client.get("/openapi.json"))
    assert "aggregate" in str(spec["components"]["schemas"])


def test_a_notice_without_the_purpose_offers_no_aggregate_level(settings: Settings) -> None:
    document = tomllib.loads(
        resources.files("tactful.defaults").joinpath("notice.toml").read_text("utf-8")
    )
    document["version"] = "2026-11-15-without-trends"
    document["purposes"] = [p for p in document["purposes"] if p["code"] != AGGREGATE]
    svc = Tactful(aggregate_settings(settings), notice=parse_notice(document))
    try:
        shop.populate(svc)
        assert "cohorts" not in {v.name for v in svc.train()}
        with pytest.raises(InvalidInput) as caught:
            svc.set_level("alice", "aggregate", WEB)
        assert [e.field for e in caught.value.errors] == ["level"]
        # Off still says no to everything the notice has, and nothing else.
        assert svc.set_level("alice", "off", WEB)["level"] == "off"
        parameters = svc.main_parameters()
        assert parameters["aggregate"]["offered"] is False
        levels = {lv["level"]: lv for lv in parameters["levels"]}
        assert levels["aggregate"]["available"] is False
        assert svc.privacy_releases() == []
    finally:
        svc.close()


def test_an_export_at_the_aggregate_level_matches_the_published_schema(
    service: Tactful,
) -> None:
    service.set_level("alice", "aggregate", WEB)
    decision = service.recommend("alice", k=3)
    export = export_subject(service, "alice")
    validator = jsonschema_rs.Draft202012Validator(export_schema(), validate_formats=True)
    assert [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(export)] == []
    assert export["consents"]["level"] == "aggregate"
    why = service.why("alice", decision["decision_id"])
    assert why["items"][0]["reason_code"] == "cohort"
    assert why["level"] == why["level_now"] == "aggregate"
