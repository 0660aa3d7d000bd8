"""Targeting rates and the four-fifths rule against the Uniform Guidelines' own example."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tactful.errors import InvalidInput
from tactful.metrics.targeting import targeting, targeting_by_segment


def _people(
    group: str | None, n: int, eligible: int, served: int, converted: int
) -> tuple[list[str | None], list[bool], list[bool], list[bool]]:
    """n people of one group: the first `eligible` eligible, the first `served` served, the
    first `converted` converted (so conversions are among the served)."""
    return (
        [group] * n,
        [i < eligible for i in range(n)],
        [i < served for i in range(n)],
        [i < converted for i in range(n)],
    )


def _join(
    *parts: tuple[list[str | None], list[bool], list[bool], list[bool]],
) -> tuple[list[str | None], list[bool], list[bool], list[bool]]:
    labels: list[str | None] = []
    e: list[bool] = []
    s: list[bool] = []
    c: list[bool] = []
    for part in parts:
        labels += part[0]
        e += part[1]
        s += part[2]
        c += part[3]
    return labels, e, s, c


def test_textbook_example_is_flagged() -> None:
    # 48 of 80 (60%) against 12 of 40 (30%): ratio 0.5, adverse impact.
    data = _join(_people("men", 80, 48, 48, 24), _people("women", 40, 12, 12, 6))
    report = targeting(*data, "sex")
    assert report.groups["men"].rate("eligible") == pytest.approx(0.6)
    assert report.groups["women"].rate("eligible") == pytest.approx(0.3)
    eligible = report.impact["eligible"]
    assert eligible.reference_group == "men"
    assert eligible.groups["women"].ratio == pytest.approx(0.5)
    assert eligible.flagged == ("women",)
    assert report.impact["served"].flagged == ("women",)
    # Conversion: 24/48 and 6/12 are equal, but women's 12 served are below 30: too small.
    converted = report.impact["converted"]
    assert converted.groups["women"].ratio == pytest.approx(1.0)
    assert converted.groups["women"].too_small
    assert not converted.groups["men"].too_small
    assert report.any_flagged


def test_exactly_four_fifths_is_not_flagged() -> None:
    # 20/30 against 25/30 is exactly 0.8 ("less than four-fifths" is what is flagged),
    # though in floating point (20 / 30) / (25 / 30) comes out just under 0.8.
    assert (20 / 30) / (25 / 30) < 0.8
    data = _join(_people("a", 30, 25, 25, 0), _people("b", 30, 20, 20, 0))
    impact = targeting(*data, "g").impact["eligible"]
    assert impact.groups["b"].ratio == pytest.approx(0.8)
    assert not impact.groups["b"].flagged
    data = _join(_people("a", 50, 30, 30, 0), _people("b", 50, 24, 24, 0))
    assert targeting(*data, "g").impact["eligible"].flagged == ()
    # One fewer is below the line.
    data = _join(_people("a", 50, 30, 30, 0), _people("b", 50, 23, 23, 0))
    assert targeting(*data, "g").impact["eligible"].flagged == ("b",)


def test_threshold_is_a_parameter() -> None:
    data = _join(_people("a", 50, 30, 30, 0), _people("b", 50, 24, 24, 0))
    assert targeting(*data, "g", threshold=0.9).impact["eligible"].flagged == ("b",)


def test_small_group_is_reported_but_neither_flagged_nor_reference() -> None:
    # "c" has the highest rate (5/5) but only 5 people; "d" has 0/10.
    data = _join(
        _people("a", 40, 20, 20, 0),
        _people("b", 40, 10, 10, 0),
        _people("c", 5, 5, 5, 0),
        _people("d", 10, 0, 0, 0),
    )
    impact = targeting(*data, "g").impact["eligible"]
    assert impact.reference_group == "a"
    assert impact.reference_rate == pytest.approx(0.5)
    assert impact.groups["c"].ratio == pytest.approx(2.0)
    assert impact.groups["d"].ratio == 0.0
    assert impact.groups["d"].too_small
    assert impact.flagged == ("b",)
    # With min_group_size 0 every group counts: c becomes the reference.
    impact = targeting(*data, "g", min_group_size=0).impact["eligible"]
    assert impact.reference_group == "c"
    assert impact.flagged == ("a", "b", "d")


def test_unknown_labels_and_unserved_conversions_are_left_out() -> None:
    labels: list[str | None] = ["a", "a", None, "b", "b"]
    labels_nan = np.array(["a", "a", float("nan"), "b", "b"], dtype=object)
    eligible = [True, True, True, True, False]
    served = [True, False, True, True, False]
    converted = [True, True, True, False, True]  # a's second and b's second were not served
    for lab in (labels, labels_nan):
        report = targeting(lab, eligible, served, converted, "g", min_group_size=0)
        assert report.unknown == 1
        a, b = report.groups["a"], report.groups["b"]
        assert (a.n, a.eligible, a.served, a.converted) == (2, 2, 1, 1)
        assert (b.n, b.eligible, b.served, b.converted) == (2, 1, 1, 0)
        assert a.rate("converted") == 1.0
        assert b.rate("converted") == 0.0


def test_rate_without_denominator_is_none() -> None:
    data = _join(_people("a", 40, 40, 40, 10), _people("b", 40, 0, 0, 0))
    report = targeting(*data, "g")
    assert report.groups["b"].rate("converted") is None
    assert report.impact["converted"].groups["b"].ratio is None
    assert not report.impact["converted"].groups["b"].flagged
    assert report.impact["served"].flagged == ("b",)
    as_json = json.loads(json.dumps(report.as_dict()))
    assert as_json["groups"]["b"]["rates"]["converted"] is None
    assert as_json["impact"]["eligible"]["flagged"] == ["b"]
    assert as_json["any_flagged"] is True


def test_nobody_reached_gives_no_ratio() -> None:
    data = _join(_people("a", 40, 0, 0, 0), _people("b", 40, 0, 0, 0))
    impact = targeting(*data, "g").impact["eligible"]
    assert impact.reference_rate == 0.0
    assert impact.groups["b"].ratio is None
    assert impact.flagged == ()


def test_permuting_people_changes_nothing() -> None:
    rng = np.random.default_rng(2)
    n = 300
    labels = np.array(rng.choice(["x", "y", "z"], size=n), dtype=object)
    e = rng.random(n) < 0.6
    s = e & (rng.random(n) < 0.7)
    c = s & (rng.random(n) < 0.3)
    order = rng.permutation(n)
    first = targeting(labels, e, s, c, "g").as_dict()
    second = targeting(labels[order], e[order], s[order], c[order], "g").as_dict()
    assert first == second


def test_by_segment_splits_by_campaign() -> None:
    data = _join(_people("men", 80, 48, 48, 24), _people("women", 40, 12, 12, 6))
    other = _join(_people("men", 40, 20, 20, 0), _people("women", 40, 20, 20, 0))
    segments = ["spring"] * 120 + ["summer"] * 80 + [None]
    labels, e, s, c = _join(data, other, (["men"], [True], [True], [True]))
    reports = targeting_by_segment(segments, labels, e, s, c, "sex")
    assert list(reports) == ["spring", "summer"]
    assert reports["spring"].impact["eligible"].flagged == ("women",)
    assert reports["summer"].impact["eligible"].flagged == ()
    assert reports["summer"].groups["men"].n == 40


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"threshold": -0.8}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_group_size": -1}, "min_group_size"),
    ],
)
def test_bad_parameters_are_rejected(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        targeting(["a"], [True], [True], [True], "g", **kwargs)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == [field]


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        targeting(["a", "b"], [True, False], [True], [True, True, True], "g")
    assert [e.field for e in caught.value.errors] == ["served", "converted"]
    with pytest.raises(InvalidInput) as caught:
        targeting_by_segment(["s"], ["a", "b"], [True], [True], [True], "g")
    assert [e.field for e in caught.value.errors] == ["labels"]


def test_non_boolean_flags_are_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        targeting(["a"], [2], [True], [True], "g")
    assert caught.value.errors[0].field == "eligible"
    with pytest.raises(InvalidInput):
        targeting("ab", [True, True], [True, True], [True, True], "g")
    # 0/1 integers are accepted.
    report = targeting(["a"], [1], [0], [0], "g", min_group_size=0)
    assert report.groups["a"].eligible == 1


Column = tuple[list[str | None], list[bool], list[bool], list[bool], list[bool]]


def _seen(
    group: str, n: int, served: int, observed: int, converted: int, hidden_converted: int
) -> Column:
    """n eligible people of one group: the first `served` served, the first `observed` of
    them observed, the first `converted` of those converted, and `hidden_converted` of the
    served but unobserved flagged as converted too (flags the rate must ignore)."""
    assert converted <= observed <= served <= n
    assert observed + hidden_converted <= served
    flagged = set(range(converted)) | set(range(observed, observed + hidden_converted))
    return (
        [group] * n,
        [True] * n,
        [i < served for i in range(n)],
        [i in flagged for i in range(n)],
        [i < observed for i in range(n)],
    )


def _columns(*parts: Column) -> Column:
    """Labels, eligible, served, converted and observed of the parts, one after the other."""
    labels: list[str | None] = []
    flags: list[list[bool]] = [[], [], [], []]
    for part in parts:
        labels += part[0]
        for column, values in zip(flags, part[1:], strict=True):
            column += values
    return labels, flags[0], flags[1], flags[2], flags[3]


def test_conversion_counts_only_the_observed_served() -> None:
    # adults: 60 served, 40 observed, 20 of those converted (and 10 unobserved flagged):
    #   20 / 40 = 0.5, the reference.
    # some: 50 served, 30 observed, 9 converted (20 unobserved flagged): 9 / 30 = 0.3,
    #   ratio 0.6, flagged; counting every served person it would be 29 / 50 = 0.58.
    # few: 40 served, 10 observed, 10 converted: 1.0 but 10 < 30 observed, so too small
    #   and neither reference nor flagged.
    # minors: 40 served, none observed, 5 flagged converted: no rate at all.
    labels, eligible, served, converted, observed = _columns(
        _seen("adults", 60, 60, 40, 20, 10),
        _seen("some", 50, 50, 30, 9, 20),
        _seen("few", 40, 40, 10, 10, 0),
        _seen("minors", 40, 40, 0, 0, 5),
    )
    report = targeting(labels, eligible, served, converted, "age", observed=observed)
    counts = {
        name: (g.n, g.served, g.observed_served, g.converted) for name, g in report.groups.items()
    }
    assert counts == {
        "adults": (60, 60, 40, 20),
        "few": (40, 40, 10, 10),
        "minors": (40, 40, 0, 0),
        "some": (50, 50, 30, 9),
    }
    impact = report.impact["converted"]
    assert impact.reference_group == "adults"
    assert impact.reference_rate == 0.5
    assert impact.groups["some"].rate == pytest.approx(0.3)
    assert impact.groups["some"].ratio == pytest.approx(0.6)
    assert impact.groups["few"].rate == 1.0
    assert impact.groups["few"].too_small
    assert impact.groups["minors"].rate is None
    assert impact.groups["minors"].ratio is None
    assert impact.flagged == ("some",)
    # Eligible and served do not depend on `observed`: everyone served, nothing flagged.
    assert report.impact["served"].flagged == ()
    assert report.groups["minors"].rate("served") == 1.0
    as_json = json.loads(json.dumps(report.as_dict()))
    assert as_json["groups"]["minors"] == {
        "n": 40,
        "eligible": 40,
        "served": 40,
        "converted": 0,
        "observed_served": 0,
        "rates": {"eligible": 1.0, "served": 1.0, "converted": None},
    }


def test_an_unobservable_group_is_no_longer_flagged_on_conversion() -> None:
    # 40 minors served, none of whose engagement is kept, so none "converts"; 60 adults
    # served, 30 converted. Without `observed`, minors convert at 0 of the adults' rate.
    labels, eligible, served, converted, _ = _columns(
        _seen("adults", 60, 60, 60, 30, 0), _seen("under_18", 40, 40, 40, 0, 0)
    )
    blind = targeting(labels, eligible, served, converted, "age_band")
    assert blind.impact["converted"].flagged == ("under_18",)
    assert blind.impact["converted"].groups["under_18"].ratio == 0.0
    observed = [label == "adults" for label in labels]
    fixed = targeting(labels, eligible, served, converted, "age_band", observed=observed)
    assert fixed.impact["converted"].flagged == ()
    assert fixed.impact["converted"].groups["under_18"].rate is None
    assert fixed.impact["converted"].reference_group == "adults"
    assert not fixed.any_flagged
    # Everyone observed is the same as no `observed` at all.
    everyone = targeting(
        labels, eligible, served, converted, "age_band", observed=[True] * len(labels)
    )
    assert everyone.as_dict() == blind.as_dict()


def test_by_segment_splits_observed_too() -> None:
    labels, eligible, served, converted, observed = _columns(
        _seen("a", 40, 40, 40, 20, 0),
        _seen("b", 40, 40, 0, 0, 0),
        _seen("a", 40, 40, 40, 20, 0),
        _seen("b", 40, 40, 40, 4, 0),
    )
    segments = ["one"] * 80 + ["two"] * 80
    reports = targeting_by_segment(
        segments, labels, eligible, served, converted, "g", observed=observed
    )
    assert reports["one"].impact["converted"].flagged == ()
    assert reports["one"].groups["b"].observed_served == 0
    assert reports["two"].impact["converted"].flagged == ("b",)
    assert reports["two"].groups["b"].rate("converted") == pytest.approx(0.1)


def test_malformed_observed_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        targeting(["a", "b"], [True, True], [True, True], [True, True], "g", observed=[True])
    assert [e.field for e in caught.value.errors] == ["observed"]
    with pytest.raises(InvalidInput) as caught:
        targeting(["a"], [True], [True], [True], "g", observed=np.array([0.5]))
    assert [e.field for e in caught.value.errors] == ["observed"]
    with pytest.raises(InvalidInput) as caught:
        targeting_by_segment(["s", "s"], ["a", "b"], [1, 1], [1, 1], [1, 1], "g", observed=[1])
    assert [e.field for e in caught.value.errors] == ["observed"]
