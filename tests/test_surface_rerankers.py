"""Re-rankers per surface in the decision pipeline: configured, explained, bound by the
guardrails, and published among the main parameters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

from tactful.errors import InvalidInput
from tactful.reranking.fair_exposure import FairConfig, fair_table
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

SURFACES = {
    "discover": {"kind": "exploration", "share": 0.3, "tail_from": 5},
    "variety": {"kind": "mmr", "lambda_": 0.3},
    "balanced": {"kind": "calibrated", "lambda_": 0.9},
    # maker-3 makes the garden items (tests/shop.py: one provider per category).
    "fair": {"kind": "fair_exposure", "protected_providers": ["maker-3"], "p": 0.5},
    "long_tail": {"kind": "popularity_debiased", "lambda_": 0.9},
    "long_tail_binary": {"kind": "popularity_debiased", "lambda_": 0.9, "variant": "binary"},
    "providers": {
        "kind": "group_calibrated",
        "groups": "provider",
        "lambda_": 0.95,
        "fairness_weight": 1.0,
    },
    "bands": {"kind": "group_calibrated", "groups": "popularity", "lambda_": 0.95},
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


# -- the fairness re-rankers ---------------------------------------------------------------


def _provider(item: dict[str, object]) -> str:
    return f"maker-{shop.CATEGORIES.index(str(item['category']))}"


def _popularity(service: Tactful) -> dict[str, float]:
    """Each shop item's popularity: its score in the popular list (bob has no consent)."""
    decision = service.recommend("bob", k=44, surface="home")
    assert not decision["personalized"]
    return {i["item_id"]: i["score"] for i in decision["items"]}


@pytest.mark.parametrize("subject", ["alice", "bob", "carol"])
def test_fair_exposure_keeps_the_protected_provider_above_the_table(
    service: Tactful, subject: str
) -> None:
    table = fair_table(10, FairConfig(p=0.5, alpha=0.1))  # adjusted: 0 0 0 1 1 1 2 2 2 3
    home = service.recommend(subject, k=10, surface="home")["items"]
    fair = service.recommend(subject, k=10, surface="fair")
    counts = np.cumsum([_provider(i) == "maker-3" for i in fair["items"]]).tolist()
    assert all(c >= m for c, m in zip(counts, table, strict=True)), counts
    assert len(fair["items"]) == 10
    # The plain lists fail the table (few garden items near the top), so the list changed,
    # and only by bringing garden items in.
    plain = np.cumsum([_provider(i) == "maker-3" for i in home]).tolist()
    assert any(c < m for c, m in zip(plain, table, strict=True))
    left_out = {i["item_id"] for i in home} - {i["item_id"] for i in fair["items"]}
    brought_in = {i["item_id"] for i in fair["items"]} - {i["item_id"] for i in home}
    assert left_out
    assert all(i.startswith("garden-") for i in brought_in)
    assert any("FA*IR" in note for note in fair["notes"])


def test_popularity_debiasing_gives_a_person_without_history_half_the_list(
    service: Tactful,
) -> None:
    # bob has no history: the head and the tail weigh the same (P(tail) = .5), and at
    # lambda .9 smooth xQuAD alternates them: each less popular item comes in as soon as
    # the popular ones pass half of the list. Within each group the ranking's order stays.
    home = _ids(service.recommend("bob", k=10, surface="home"))
    debiased = _ids(service.recommend("bob", k=10, surface="long_tail"))
    popularity = _popularity(service)
    promoted = [i for i in debiased if i not in home]
    assert promoted == debiased[1::2]
    assert len(promoted) == 5
    assert max(popularity[i] for i in promoted) < min(popularity[i] for i in home)
    assert debiased[::2] == home[:5]


def test_binary_popularity_debiasing_promotes_one_less_popular_item(service: Tactful) -> None:
    # The binary variant stops at the first long-tail item: the rest keeps its order.
    home = _ids(service.recommend("bob", k=10, surface="home"))
    debiased = _ids(service.recommend("bob", k=10, surface="long_tail_binary"))
    popularity = _popularity(service)
    promoted = [i for i in debiased if i not in home]
    assert len(promoted) == 1
    assert popularity[promoted[0]] < min(popularity[i] for i in home)
    assert [i for i in debiased if i in home] == home[:9]


def test_popularity_debiasing_follows_a_taste_for_popular_items_too(service: Tactful) -> None:
    # alice bought the three running items every shopper buys (popular), but her plain list
    # is mostly of less popular running and book items: the smooth variant brings her
    # list's popularity towards her history's. The binary one only moves the one popular
    # item her list already holds to the top.
    popularity = _popularity(service)
    history = np.mean([popularity[f"running-{n}"] for n in range(3)])

    def mean_popularity(surface: str) -> float:
        items = _ids(service.recommend("alice", k=10, surface=surface))
        return float(np.mean([popularity[i] for i in items]))

    home, smooth, plain = (mean_popularity(s) for s in ("home", "long_tail", "long_tail_binary"))
    assert home == plain < smooth <= history


def test_group_calibration_by_provider_follows_the_catalog(service: Tactful) -> None:
    # fairness_weight 1: the target is the catalog's provider shares (five makers of eight
    # items each, and four items of no named maker that alice is not shown).
    home = service.recommend("alice", k=10, surface="home")["items"]
    mixed = service.recommend("alice", k=10, surface="providers")["items"]
    plain = Counter(_provider(i) for i in home)
    calibrated = Counter(_provider(i) for i in mixed)
    assert len(plain) <= 2
    assert len(calibrated) == 5
    assert max(calibrated.values()) == 2


@pytest.mark.parametrize("subject", ["alice", "carol"])
def test_calibrated_popularity_brings_the_list_closer_to_the_history(
    service: Tactful, subject: str
) -> None:
    popularity = _popularity(service)
    category = {"alice": "running", "carol": "kitchen"}[subject]
    history = np.mean([popularity[f"{category}-{n}"] for n in range(3)])
    home = np.mean([popularity[i] for i in _ids(service.recommend(subject, k=10))])
    bands = np.mean(
        [popularity[i] for i in _ids(service.recommend(subject, k=10, surface="bands"))]
    )
    assert abs(bands - history) < abs(home - history)


def test_the_fairness_re_rankers_are_described(service: Tactful) -> None:
    surfaces = service.main_parameters()["surfaces"]
    fair = surfaces["fair"]
    assert fair["re_ranker"] == "fair_exposure"
    assert fair["config"] == {
        "p": 0.5,
        "alpha": 0.1,
        "adjust": True,
        "pool": 100,
        "protected_providers": ["maker-3"],
    }
    assert "FA*IR" in fair["what_it_does"]
    assert surfaces["long_tail"]["config"]["head_share"] == 0.2
    assert surfaces["long_tail"]["config"]["variant"] == "smooth"
    assert surfaces["long_tail_binary"]["config"]["variant"] == "binary"
    assert "less popular" in surfaces["long_tail"]["what_it_does"]
    assert surfaces["providers"]["config"]["groups"] == "provider"
    assert surfaces["providers"]["config"]["fairness_weight"] == 1.0
    assert surfaces["bands"]["config"]["groups"] == "popularity"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"kind": "fair_exposure", "p": 0.5}, "home.config.protected_providers"),
        (
            {"kind": "fair_exposure", "protected_providers": [], "p": 0.5},
            "home.config.protected_providers",
        ),
        ({"kind": "fair_exposure", "protected_providers": ["a"]}, "home.config.p"),
        ({"kind": "fair_exposure", "protected_providers": ["a"], "p": 2}, "home.config.p"),
        (
            {"kind": "fair_exposure", "protected_providers": ["a"], "p": 0.5, "alpha": 0},
            "home.config.alpha",
        ),
        ({"kind": "popularity_debiased", "lambda_": 3}, "home.config.lambda_"),
        ({"kind": "popularity_debiased", "head_share": -1}, "home.config.head_share"),
        ({"kind": "popularity_debiased", "variant": "soft"}, "home.config.variant"),
        ({"kind": "group_calibrated", "groups": "brand"}, "home.config.groups"),
        ({"kind": "group_calibrated", "fairness_weight": 2}, "home.config.fairness_weight"),
    ],
)
def test_a_bad_fairness_configuration_names_the_field(
    settings: Settings,
    spec: dict,  # type: ignore[type-arg]
    field: str,
) -> None:
    with pytest.raises(InvalidInput, match="TACTFUL_SURFACE_RERANKERS") as caught:
        Tactful(settings.model_copy(update={"surface_rerankers": {"home": spec}}))
    assert [e.field for e in caught.value.errors] == [field]
