"""Re-rankers per surface in the decision pipeline: configured, explained, bound by the
guardrails, and published among the main parameters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

SURFACES = {
    "discover": {"kind": "exploration", "share": 0.3, "tail_from": 5},
    "variety": {"kind": "mmr", "lambda_": 0.3},
    "balanced": {"kind": "calibrated", "lambda_": 0.9},
}
EXPLORED = "Shown to widen your choices: it is outside your usual top picks."


@pytest.fixture
def service(settings: Settings) -> Iterator[Tactful]:
    svc = Tactful(settings.model_copy(update={"surface_rerankers": SURFACES}))
    shop.populate(svc)
    svc.train()
    yield svc
    svc.close()


def _ids(decision: dict[str, object]) -> list[str]:
    return [i["item_id"] for i in decision["items"]]  # type: ignore[attr-defined]


def test_a_surface_without_a_re_ranker_keeps_the_plain_list(service: Tactful) -> None:
    home = service.recommend("alice", k=10, surface="home")
    assert not any("Re-ranked" in note for note in home["notes"])
    assert all(i["explanation"]["reason"] != EXPLORED for i in home["items"])


def test_exploration_marks_its_share_and_keeps_the_same_list_all_day(service: Tactful) -> None:
    first = service.recommend("alice", k=10, surface="discover")
    explored = [i for i in first["items"] if i["explanation"]["reason"] == EXPLORED]
    assert len(explored) == 3
    assert any("Re-ranked" in note for note in first["notes"])
    home = _ids(service.recommend("alice", k=10, surface="home"))
    assert not {i["item_id"] for i in explored} <= set(home[:7])
    assert _ids(service.recommend("alice", k=10, surface="discover")) == _ids(first)


def test_mmr_widens_the_categories_of_the_list(service: Tactful) -> None:
    home = service.recommend("alice", k=8, surface="home")
    varied = service.recommend("alice", k=8, surface="variety")
    assert len({i["category"] for i in varied["items"]}) >= len(
        {i["category"] for i in home["items"]}
    )
    assert len(varied["items"]) == 8


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_no_re_ranker_brings_back_what_a_guardrail_held_back(
    service: Tactful, surface: str
) -> None:
    # erin denied gambling; dan is a minor; alice bought running items (not shown again).
    for subject in ("erin", "dan", "alice", "carol"):
        decision = service.recommend(subject, k=40, surface=surface)
        shown = set(_ids(decision))
        assert not shown & {"bet-1", "bet-2", "wine-1", "pill-1"}, (subject, surface)
        assert len(shown) == len(decision["items"])
    alice = set(_ids(service.recommend("alice", k=40, surface="discover")))
    assert not alice & {"running-0", "running-1", "running-2"}


def test_the_surfaces_are_among_the_main_parameters(service: Tactful) -> None:
    surfaces = service.main_parameters()["surfaces"]
    assert set(surfaces) == set(SURFACES)
    assert surfaces["variety"]["re_ranker"] == "mmr"
    assert surfaces["variety"]["config"]["lambda_"] == 0.3
    assert "variety" in surfaces["variety"]["what_it_does"]


@pytest.mark.parametrize(
    "spec",
    [
        {"home": {"kind": "shuffle"}},
        {"home": {"kind": "mmr", "lambda_": 2}},
        {"home": {"kind": "exploration", "share": -0.1}},
        {"home": {"kind": "calibrated", "surprise": 1}},
    ],
)
def test_a_bad_surface_configuration_is_refused_at_start(settings: Settings, spec: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput, match="TACTFUL_SURFACE_RERANKERS"):
        Tactful(settings.model_copy(update={"surface_rerankers": spec}))
