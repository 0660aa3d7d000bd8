"""`run_audit` on six people, eight items and two providers, every figure worked out by hand.

The data (k = 3, geometric position weights with patience 0.5: slots weigh 1, 0.5, 0.25):

    list  person  items       relevant   per list: nDCG, recall, hit, precision
    L0    p0      0 1 2       {0}        1, 1, 1, 1/3
    L1    p0      3 4 -       {5}        0, 0, 0, 0
    L2    p1      1 0 5       {0}        1/log2(3), 1, 1, 1/3     (hit at rank 2)
    L3    p2      0 2 6       {}         NaN (nothing relevant)
    L4    p3      0 1 3       {0, 1}     1, 1, 1, 2/3
    L5    p4      2 0 1       {7}        0, 0, 0, 0
    L6    p5      0 1 2       {2, 7}     0.5 / (1 + 1/log2(3)), 1/2, 1, 1/3   (hit at rank 3)

gender: p0-p2 women, p3-p5 men; age_band: 18-24 (p0, p1), 25-34 (p2, p3, p5), p4 unknown.
Providers: items 0-4 "acme", 5-7 "indie". Popularity 6 5 4 3 2 1 0 0 over 10 people.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from tactful import metrics
from tactful.errors import InvalidInput
from tactful.fairness.audit import AuditResult, run_audit
from tactful.fairness.data import AuditData, Segment
from tactful.fairness.policy import AuditPolicy

LOG3 = math.log2(3)
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

LISTS = [[0, 1, 2], [3, 4, -1], [1, 0, 5], [0, 2, 6], [0, 1, 3], [2, 0, 1], [0, 1, 2]]
LIST_PERSON = [0, 0, 1, 2, 3, 4, 5]
RELEVANT = [[0], [5], [0], [], [0, 1], [7], [2, 7]]
HISTORY = [[0, 2], [1], [5, 6], [], [2], [3, 4]]
# Categories a (column 0) and b (column 1); item 7 has none.
CATEGORIES = [[0], [0], [1], [1], [0, 1], [0], [1], []]


def _rows(rows: list[list[int]], n_columns: int) -> sparse.csr_array:
    dense = np.zeros((len(rows), n_columns))
    for r, columns in enumerate(rows):
        dense[r, columns] = 1.0
    return sparse.csr_array(dense)


def _flags(values: str) -> np.ndarray:
    return np.array([v == "1" for v in values], dtype=np.bool_)


def make_data(**changes: Any) -> AuditData:
    data = AuditData(
        source="store",
        label="store",
        window_start=datetime(2025, 2, 1, tzinfo=UTC),
        window_end=T0,
        item_ids=[f"i{n}" for n in range(8)],
        providers=["acme"] * 5 + ["indie"] * 3,
        categories=_rows(CATEGORIES, 2),
        popularity=np.array([6.0, 5, 4, 3, 2, 1, 0, 0]),
        population=10,
        people=[f"p{n}" for n in range(6)],
        attributes={
            "gender": ["women", "women", "women", "men", "men", "men"],
            "age_band": ["18-24", "18-24", "25-34", "25-34", None, "25-34"],
            "occupation": ["a", "b", "c", "d", "e", "f"],  # not in the policy: not reported
        },
        lists=np.array(LISTS, dtype=np.int64),
        list_person=np.array(LIST_PERSON, dtype=np.int64),
        relevant=_rows(RELEVANT, 8),
        history=_rows(HISTORY, 8),
        segments=(
            Segment(
                "campaign",
                "spring-sale",
                np.arange(6, dtype=np.int64),
                _flags("111111"),
                _flags("111100"),  # served: every woman, one man of three
                _flags("100100"),
            ),
            Segment(
                "surface",
                "home",
                np.array([0, 3, 4], dtype=np.int64),
                _flags("111"),
                _flags("111"),
                _flags("010"),
            ),
        ),
        counts={"decisions": 7},
    )
    return replace(data, **changes)


def tight_policy(**thresholds: float | None) -> AuditPolicy:
    values: dict[str, float | None] = {
        "quality_ratio": 0.8,
        "provider_exposure_ratio": 0.5,
        "exposure_gini": 0.5,
        "coverage": 0.9,
        "long_tail_share": 0.4,
        "miscalibration": 5.0,
        "adverse_impact_ratio": 0.8,
    }
    values.update(thresholds)
    return AuditPolicy.model_validate(
        {
            "measure": {
                "k": 3,
                "position_weights": "geometric",
                "patience": 0.5,
                "attributes": ["gender", "age_band"],
                "min_group_size": 2,
                "min_provider_items": 1,
                "head_share": 0.5,
            },
            "thresholds": values,
        }
    )


@pytest.fixture
def result() -> AuditResult:
    return run_audit(make_data(), tight_policy(), audit_id="a-1", started_at=T0)


def _check(result: AuditResult, check: str, scope: str) -> dict[str, Any]:
    (found,) = [c for c in result.as_dict()["checks"] if (c["check"], c["scope"]) == (check, scope)]
    return found


# Per person (lists averaged first): p0 = mean of L0 and L1, p2 has no value.
NDCG = {0: 0.5, 1: 1 / LOG3, 3: 1.0, 4: 0.0, 5: 0.5 / (1 + 1 / LOG3)}
RECALL = {0: 0.5, 1: 1.0, 3: 1.0, 4: 0.0, 5: 0.5}
HIT = {0: 0.5, 1: 1.0, 3: 1.0, 4: 0.0, 5: 1.0}
PRECISION = {0: (1 / 3 + 0) / 2, 1: 1 / 3, 3: 2 / 3, 4: 0.0, 5: 1 / 3}


def test_accuracy_is_averaged_per_person_first(result: AuditResult) -> None:
    accuracy = result.as_dict()["accuracy"]
    assert accuracy["ndcg"] == pytest.approx(sum(NDCG.values()) / 5, abs=1e-12)
    assert accuracy["recall"] == pytest.approx((0.5 + 1 + 1 + 0 + 0.5) / 5, abs=1e-12)
    assert accuracy["hit_rate"] == pytest.approx((0.5 + 1 + 1 + 0 + 1) / 5, abs=1e-12)
    # Over lists instead, recall would be (1 + 0 + 1 + 1 + 0 + 0.5) / 6 = 0.5833, not 0.6.
    assert accuracy["recall"] == pytest.approx(0.6, abs=1e-12)
    assert set(accuracy) == set(metrics.RANKING_METRICS)


def test_quality_by_gender_and_its_gaps(result: AuditResult) -> None:
    quality = result.as_dict()["quality"]
    assert list(quality) == ["gender", "age_band"]  # the policy's, not occupation
    gender = quality["gender"]
    women, men = gender["groups"]["women"], gender["groups"]["men"]
    assert (women["users"], men["users"]) == (3, 3)
    assert women["counts"]["ndcg"] == 2  # p2 had nothing relevant
    # nDCG: women (0.5 + 0.6309) / 2 = 0.5655; men (1 + 0 + 0.3066) / 3 = 0.4355
    women_ndcg, men_ndcg = (NDCG[0] + NDCG[1]) / 2, (NDCG[3] + NDCG[4] + NDCG[5]) / 3
    assert women["metrics"]["ndcg"] == pytest.approx(women_ndcg, abs=1e-12)
    assert men["metrics"]["ndcg"] == pytest.approx(men_ndcg, abs=1e-12)
    gap = gender["gaps"]["ndcg"]
    assert (gap["best_group"], gap["worst_group"]) == ("women", "men")
    assert gap["ratio"] == pytest.approx(men_ndcg / women_ndcg, abs=1e-12)  # 0.7702
    assert gap["difference"] == pytest.approx(women_ndcg - men_ndcg, abs=1e-12)
    # recall: women 0.75, men 0.5 -> 0.667; hit rate: women 0.75, men 2/3 -> 0.889;
    # precision: women (1/6 + 1/3) / 2 = 0.25, men (2/3 + 0 + 1/3) / 3 = 1/3 -> 0.75.
    assert gender["gaps"]["recall"]["ratio"] == pytest.approx(0.5 / 0.75, abs=1e-12)
    assert gender["gaps"]["hit_rate"]["ratio"] == pytest.approx((2 / 3) / 0.75, abs=1e-12)
    assert gender["gaps"]["precision"]["best_group"] == "men"
    assert gender["gaps"]["precision"]["ratio"] == pytest.approx(0.25 / (1 / 3), abs=1e-12)
    # age_band: p4 has no label; 18-24 = p0, p1; 25-34 = p3, p5 (p2 has no value).
    age = quality["age_band"]["groups"]
    assert age["18-24"]["metrics"]["recall"] == pytest.approx(0.75, abs=1e-12)
    assert age["25-34"]["metrics"]["recall"] == pytest.approx(0.75, abs=1e-12)
    assert age["25-34"]["users"] == 3


def test_quality_checks_and_their_sentences(result: AuditResult) -> None:
    ndcg = _check(result, "quality_ratio", "gender: ndcg")
    assert ndcg["crossed"] is True
    assert ndcg["bound"] == "min"
    assert ndcg["threshold"] == 0.8
    assert ndcg["message"] == "By gender, men got 0.77 of women's nDCG@3; below the floor of 0.80."
    assert _check(result, "quality_ratio", "gender: recall")["crossed"] is True  # 0.667
    assert _check(result, "quality_ratio", "gender: precision")["crossed"] is True  # 0.75
    hit = _check(result, "quality_ratio", "gender: hit_rate")  # 0.889
    assert hit["crossed"] is False
    assert hit["message"] == "By gender, men got 0.89 of women's hit rate@3; the floor is 0.80."
    scopes = [c["scope"] for c in result.as_dict()["checks"] if c["check"] == "quality_ratio"]
    assert {s for s in scopes if s.startswith("gender")} == {
        f"gender: {m}" for m in metrics.RANKING_METRICS
    }


def test_exposure_by_provider_and_gini(result: AuditResult) -> None:
    exposure = result.as_dict()["exposure"]
    assert (exposure["position_weights"], exposure["k"]) == ("geometric", 3)
    # Item exposure (slots weigh 1, 0.5, 0.25):
    # i0 = 1 + .5 + 1 + 1 + .5 + 1 = 5; i1 = .5 + 1 + .5 + .25 + .5 = 2.75;
    # i2 = .25 + .5 + 1 + .25 = 2; i3 = 1 + .25 = 1.25; i4 = .5; i5 = .25; i6 = .25; i7 = 0.
    # Total 12. acme (i0-i4) = 11.5, indie (i5-i7) = 0.5.
    providers = exposure["providers"]
    assert providers["names"] == ["acme", "indie"]
    assert providers["exposure"] == pytest.approx([11.5, 0.5])
    assert providers["exposure_share"] == pytest.approx([11.5 / 12, 0.5 / 12])
    assert sum(providers["exposure_share"]) == pytest.approx(1.0)
    assert providers["items"] == [5, 3]
    assert providers["catalog_share"] == pytest.approx([5 / 8, 3 / 8])
    # indie: (1/24) / (3/8) = 1/9
    assert providers["ratio"] == pytest.approx([(11.5 / 12) / (5 / 8), 1 / 9])
    # Gini over [0, .25, .25, .5, 1.25, 2, 2.75, 5] with weights 2i - 9 = -7, -5, ..., 7:
    # (-1.25 - .75 - .5 + 1.25 + 6 + 13.75 + 35) / (8 x 12) = 53.5 / 96
    assert exposure["gini"] == pytest.approx(53.5 / 96, abs=1e-12)
    top = exposure["top_items"]
    assert [t["item_id"] for t in top] == ["i0", "i1", "i2", "i3", "i4", "i5", "i6"]  # no i7
    assert top[0] == {"item_id": "i0", "exposure": 5.0, "share": pytest.approx(5 / 12)}

    indie = _check(result, "provider_exposure_ratio", "provider: indie")
    assert indie["crossed"] is True
    assert indie["value"] == pytest.approx(1 / 9)
    assert indie["message"] == (
        "Provider indie got 4.2% of the exposure for 37.5% of the catalog, a ratio of 0.11; "
        "below the floor of 0.50."
    )
    assert _check(result, "provider_exposure_ratio", "provider: acme")["crossed"] is False
    gini = _check(result, "exposure_gini", "catalog")
    assert (gini["bound"], gini["crossed"]) == ("max", True)  # 0.557 > 0.5
    assert gini["message"] == (
        "The Gini coefficient of item exposure is 0.56; above the ceiling of 0.50."
    )


def test_popularity_coverage_and_long_tail(result: AuditResult) -> None:
    popularity = result.as_dict()["popularity"]
    # Items 0-6 are recommended, 7 is not: 7 / 8.
    assert popularity["coverage"] == pytest.approx(7 / 8)
    # head_share 0.5 of 21 interactions: 6 + 5 = 11 >= 10.5, so the head is i0 and i1.
    # Long-tail share per list: L0 1/3, L1 2/2, L2 1/3, L3 2/3, L4 1/3, L5 1/3, L6 1/3;
    # per person: p0 (1/3 + 1) / 2 = 2/3, p1 1/3, p2 2/3, p3-p5 1/3 -> (8/3) / 6 = 4/9.
    assert popularity["long_tail_share"] == pytest.approx(4 / 9, abs=1e-12)
    # Mean popularity per list: L0 5, L1 2.5, L2 4, L3 10/3, L4 14/3, L5 5, L6 5;
    # per person: 3.75, 4, 10/3, 14/3, 5, 5 -> 25.75 / 6.
    assert popularity["average_popularity"] == pytest.approx(25.75 / 6, abs=1e-12)
    # Novelty: log2(10 / max(popularity, 1)) per item, list means, then person means.
    info = [math.log2(10 / max(p, 1)) for p in (6, 5, 4, 3, 2, 1, 0, 0)]
    per_list = [np.mean([info[i] for i in row if i >= 0]) for row in LISTS]
    per_person = [(per_list[0] + per_list[1]) / 2, *per_list[2:]]
    assert popularity["novelty"] == pytest.approx(np.mean(per_person), abs=1e-12)
    # Miscalibration reads each list's own person's history (L0 and L1: p0's).
    table = np.array(LISTS, dtype=np.int64)
    histories = _rows([HISTORY[p] for p in LIST_PERSON], 8)
    kl = metrics.per_user_miscalibration(table, histories, _rows(CATEGORIES, 2))
    # p3 has no history: NaN, left out; p0 averages L0 and L1.
    expected = np.nanmean([(kl[0] + kl[1]) / 2, kl[2], kl[3], kl[5], kl[6]])
    assert math.isnan(kl[4])
    assert popularity["miscalibration"] == pytest.approx(expected, abs=1e-12)

    coverage = _check(result, "coverage", "catalog")
    assert coverage["crossed"] is True  # 0.875 < 0.9
    assert coverage["message"] == (
        "87.5% of the catalog was recommended at least once; below the floor of 90.0%."
    )
    tail = _check(result, "long_tail_share", "lists")
    assert tail["crossed"] is False  # 0.444 >= 0.4
    assert tail["message"] == (
        "44.4% of the recommended items are from the long tail; the floor is 40.0%."
    )
    assert _check(result, "miscalibration", "lists")["crossed"] is False


def test_targeting_flags_and_checks(result: AuditResult) -> None:
    (campaign, surface) = result.as_dict()["targeting"]
    assert (campaign["kind"], campaign["segment"]) == ("campaign", "spring-sale")
    gender = campaign["reports"]["gender"]
    # served: women 3/3 = 1, men 1/3 -> ratio 1/3 < 0.8, flagged.
    served = gender["impact"]["served"]
    assert served["reference_group"] == "women"
    assert served["flagged"] == ["men"]
    assert served["groups"]["men"]["ratio"] == pytest.approx(1 / 3)
    # converted: women 1 of 3 served; men 1 of 1 served: too small (1 < 2), not a check.
    assert gender["impact"]["converted"]["groups"]["men"]["too_small"] is True
    age = campaign["reports"]["age_band"]
    assert age["unknown"] == 1  # p4
    # served: 18-24 2/2, 25-34 2/3 -> ratio 2/3, flagged.
    assert age["impact"]["served"]["flagged"] == ["25-34"]
    assert list(campaign["reports"]) == ["gender", "age_band"]

    men = _check(result, "adverse_impact_ratio", "campaign spring-sale / gender / served")
    assert men["crossed"] is True
    assert men["value"] == pytest.approx(1 / 3)
    assert men["message"] == (
        "In campaign spring-sale, gender men was served at 0.33 of the rate of women; "
        "below the floor of 0.80."
    )
    age_check = _check(result, "adverse_impact_ratio", "campaign spring-sale / age_band / served")
    assert age_check["value"] == pytest.approx(2 / 3)
    assert age_check["crossed"] is True
    scopes = {
        c["scope"] for c in result.as_dict()["checks"] if c["check"] == "adverse_impact_ratio"
    }
    # converted: men are too small, so only women are judged; their ratio is 1.
    assert (
        _check(result, "adverse_impact_ratio", "campaign spring-sale / gender / converted")[
            "crossed"
        ]
        is False
    )
    # The home surface: only the men (p3, p4) are 2 or more; every age band is too small.
    assert {s for s in scopes if s.startswith("surface")} == {
        f"surface home / gender / {rate}" for rate in ("eligible", "served", "converted")
    }
    assert surface["reports"]["age_band"]["impact"]["served"]["reference_group"] is None
    crossed = {c["scope"] for c in result.crossed if c["check"] == "adverse_impact_ratio"}
    assert crossed == {
        "campaign spring-sale / gender / served",
        "campaign spring-sale / age_band / served",
    }


def test_conversion_is_judged_over_the_observed_only() -> None:
    # Every man converts; no woman's engagement can be seen (say, none consented to its
    # being kept), so their conversion flags say nothing. Without `observed`, women convert
    # at 0 of the men's rate; with it they have no conversion rate, and nothing crosses.
    basket = Segment(
        "surface",
        "basket",
        np.arange(6, dtype=np.int64),
        _flags("111111"),
        _flags("111111"),
        _flags("000111"),
    )
    scope = "surface basket / gender / converted"
    blind = run_audit(make_data(segments=(basket,)), tight_policy())
    assert _check(blind, "adverse_impact_ratio", scope)["crossed"] is True
    seen = replace(basket, observed=_flags("000111"))
    audited = run_audit(make_data(segments=(seen,)), tight_policy())
    check = _check(audited, "adverse_impact_ratio", scope)
    assert check["crossed"] is False
    assert check["value"] == 1.0  # only the men are judged
    (report,) = audited.as_dict()["targeting"]
    women = report["reports"]["gender"]["groups"]["women"]
    assert (women["served"], women["observed_served"], women["converted"]) == (3, 0, 0)
    assert women["rates"]["converted"] is None
    # Served is untouched: everyone was, so the served check holds either way.
    assert _check(audited, "adverse_impact_ratio", "surface basket / gender / served") == (
        _check(blind, "adverse_impact_ratio", "surface basket / gender / served")
    )


def test_result_shape_counts_and_json(result: AuditResult) -> None:
    out = result.as_dict()
    assert list(out) == [
        "audit_id",
        "source",
        "label",
        "window",
        "started_at",
        "seconds",
        "policy",
        "counts",
        "accuracy",
        "quality",
        "exposure",
        "popularity",
        "targeting",
        "checks",
        "alert",
    ]
    assert (out["audit_id"], out["source"], out["label"]) == ("a-1", "store", "store")
    assert out["window"] == {"start": "2025-02-01T00:00:00+00:00", "end": T0.isoformat()}
    assert out["started_at"] == T0.isoformat()
    assert out["seconds"] >= 0
    assert out["policy"]["measure"]["k"] == 3
    assert out["policy"]["thresholds"]["coverage"] == 0.9
    assert out["counts"] == {
        "lists": 7,
        "people": 6,
        "items": 8,
        "providers": 2,
        "segments": 2,
        "decisions": 7,
    }
    assert out["alert"] is True
    assert result.alert is True
    assert result.crossed == [c for c in out["checks"] if c["crossed"]]
    json.dumps(out, allow_nan=False)
    for check in out["checks"]:
        assert check["message"].endswith(".")
        assert check["bound"] in ("min", "max")


def test_a_lenient_policy_crosses_nothing() -> None:
    policy = tight_policy(
        quality_ratio=0.1,
        provider_exposure_ratio=0.1,
        exposure_gini=0.9,
        coverage=0.5,
        long_tail_share=0.1,
        adverse_impact_ratio=0.3,
    )
    result = run_audit(make_data(), policy)
    assert result.crossed == []
    assert result.alert is False
    assert len(result.checks) > 20
    uuid_text = result.as_dict()["audit_id"]
    assert len(uuid_text) == 36


def test_unset_thresholds_are_not_checked() -> None:
    policy = tight_policy(quality_ratio=None, adverse_impact_ratio=None, coverage=None)
    checks = {c.check for c in run_audit(make_data(), policy).checks}
    assert checks == {
        "provider_exposure_ratio",
        "exposure_gini",
        "long_tail_share",
        "miscalibration",
    }
    # Without an adverse-impact floor, reports still flag at the four-fifths rule.
    report = run_audit(make_data(), policy).as_dict()["targeting"][0]["reports"]["gender"]
    assert report["threshold"] == 0.8


def test_nothing_measured_is_reported_as_null_and_never_crossed() -> None:
    empty = make_data(
        lists=np.zeros((0, 3), dtype=np.int64),
        list_person=np.zeros(0, dtype=np.int64),
        relevant=sparse.csr_array((0, 8)),
        segments=(),
    )
    result = run_audit(empty, tight_policy())
    out = result.as_dict()
    assert set(out["accuracy"].values()) == {None}
    assert out["popularity"]["long_tail_share"] is None
    assert out["exposure"]["providers"]["ratio"] == [None, None]
    assert out["exposure"]["top_items"] == []
    providers = [c for c in out["checks"] if c["check"] == "provider_exposure_ratio"]
    assert [(c["value"], c["crossed"]) for c in providers] == [(None, False), (None, False)]
    tail = _check(result, "long_tail_share", "lists")
    assert (tail["value"], tail["crossed"]) == (None, False)
    assert "could not be measured" in tail["message"]
    # With no list at all, coverage and the Gini are not measured either: an empty window
    # (a quiet night, a new store) must not raise an alert.
    for name in ("coverage", "exposure_gini"):
        check = _check(result, name, "catalog")
        assert (check["value"], check["crossed"]) == (None, False)
    assert out["exposure"]["lorenz"] is None
    assert result.alert is False
    json.dumps(out, allow_nan=False)


def test_a_value_rounding_to_the_threshold_shows_more_decimals() -> None:
    # Gini 53.5 / 96 = 0.5573 against a ceiling of 0.557: shown as 0.5573.
    result = run_audit(make_data(), tight_policy(exposure_gini=0.557))
    gini = _check(result, "exposure_gini", "catalog")
    assert gini["crossed"] is True
    assert gini["message"] == (
        "The Gini coefficient of item exposure is 0.5573; above the ceiling of 0.557."
    )


def test_lists_wider_or_narrower_than_k() -> None:
    # A fourth column holding item 7 (relevant to L5 and L6) is beyond k = 3: ignored.
    wide = np.hstack([np.array(LISTS, dtype=np.int64), np.full((7, 1), 7, dtype=np.int64)])
    wide[1, 3] = -1  # L1 is padded already
    assert (
        run_audit(make_data(lists=wide), tight_policy()).as_dict()["accuracy"]
        == (run_audit(make_data(), tight_policy()).as_dict()["accuracy"])
    )
    narrow = make_data(lists=np.array(LISTS, dtype=np.int64)[:, :1])
    # Only the first item of each list is shown: L0 and L4 hit, so p0 0.5 and p3 1.
    assert run_audit(narrow, tight_policy()).as_dict()["accuracy"]["hit_rate"] == (
        pytest.approx((0.5 + 0 + 1 + 0 + 0) / 5)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"providers": ["acme"] * 7}, "providers"),
        ({"popularity": np.ones(7)}, "popularity"),
        ({"popularity": np.array([-1.0, 0, 0, 0, 0, 0, 0, 0])}, "popularity"),
        ({"population": 5}, "population"),  # below item 0's popularity of 6
        ({"categories": np.ones((8, 2))}, "categories"),
        ({"categories": sparse.csr_array((7, 2))}, "categories"),
        ({"lists": np.array([[0, 1, 8]] * 7)}, "lists"),
        ({"lists": np.array([[0.0, 1.0, 2.0]] * 7)}, "lists"),
        ({"lists": np.array([0, 1, 2])}, "lists"),
        ({"list_person": np.array([0, 0, 1, 2, 3, 4, 6])}, "list_person"),
        ({"list_person": np.array([0, 0, 1])}, "list_person"),
        ({"relevant": sparse.csr_array((6, 8))}, "relevant"),
        ({"relevant": sparse.csr_array((7, 9))}, "relevant"),
        ({"history": sparse.csr_array((5, 8))}, "history"),
        ({"attributes": {"gender": ["women"] * 5}}, "attributes.gender"),
        ({"counts": {"decisions": 1.5}}, "counts.decisions"),
    ],
)
def test_malformed_data_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_audit(make_data(**changes), tight_policy())
    assert [e.field for e in caught.value.errors] == [field]
    assert field in caught.value.detail


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        (
            Segment("campaign", "x", np.array([0, 6]), _flags("11"), _flags("11"), _flags("00")),
            "segments[0].person",
        ),
        (
            Segment("campaign", "x", np.array([0, 1]), _flags("11"), _flags("1"), _flags("00")),
            "segments[0].served",
        ),
        (
            Segment(
                "campaign", "x", np.array([0, 1]), _flags("11"), np.array([1, 0]), _flags("00")
            ),
            "segments[0].served",
        ),
        (
            Segment("email", "x", np.array([0]), _flags("1"), _flags("1"), _flags("0")),  # type: ignore[arg-type]
            "segments[0].kind",
        ),
        (
            Segment("campaign", "x", np.array([0, 1]), *(_flags("11"),) * 3, _flags("1")),
            "segments[0].observed",
        ),
        (
            Segment("campaign", "x", np.array([0, 1]), *(_flags("11"),) * 3, np.array([1, 0])),
            "segments[0].observed",
        ),
    ],
)
def test_malformed_segments_name_the_field(segment: Segment, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_audit(make_data(segments=(segment,)), tight_policy())
    assert caught.value.errors[0].field == field


def test_a_list_naming_an_item_twice_is_refused() -> None:
    lists = np.array(LISTS, dtype=np.int64)
    lists[0] = [0, 0, 1]
    with pytest.raises(InvalidInput, match="more than once"):
        run_audit(make_data(lists=lists), tight_policy())
