"""Targeting and exclusion: who is made eligible, served and converted, by group.

A campaign can exclude a demographic without ever naming it. This module counts, for each
group of one attribute, how many people were eligible for a campaign, were served it and
converted, and compares the groups' rates with the four-fifths rule of the US Uniform
Guidelines on Employee Selection Procedures (29 CFR 1607.4(D), 1978): "a selection rate for
any race, sex, or ethnic group which is less than four-fifths (4/5) (or eighty percent) of
the rate for the group with the highest rate will generally be regarded ... as evidence of
adverse impact". The textbook example from those Guidelines' Q&A: 48 of 80 selected (60%)
against 12 of 40 (30%) gives a ratio of 0.5, flagged.

Rules:

* One call covers one segment (a campaign, an offer category, a surface); `targeting_by_segment`
  splits by a segment key and runs one report per segment.
* A person whose group label is None (or a float NaN) is left out of every count.
* Rates: eligible = eligible / n, served = served / n, converted = converted / (served
  and observed). A conversion counts only when the person was served (a conversion without
  exposure is not the campaign's doing) and their engagement can be seen: `observed` (one
  flag per person, default everyone) says whose can. Where the store keeps no engagement
  of a person (a minor's, a refuser's), "did not convert" would be an artefact of privacy,
  not of targeting; such a person is left out of the conversion denominator and any
  conversion flag for them is ignored. Eligible and served rates do not depend on it. A
  rate whose denominator is 0 is None (so a group with nobody observed and served has no
  conversion rate, and is never flagged on it).
* For each rate the reference group is the group with the highest rate among those whose
  denominator is at least `min_group_size`; ties go to the name that sorts first. Every
  group gets its ratio to the reference (the adverse-impact ratio). A group is flagged
  when its ratio is strictly below `threshold` (0.8: "less than four-fifths"), compared in
  exact rational arithmetic: 20/30 against 25/30 is exactly 0.8 and not flagged, though
  the same division in floating point falls just under 0.8.
* A group whose denominator is below `min_group_size` (default 30) is reported with its
  rate and ratio and marked `too_small`, but neither flagged nor used as reference: the
  Guidelines themselves warn that with small numbers the ratio may not be meaningful.
  When the reference rate is 0 (nobody reached anywhere), no ratio is defined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from tactful.errors import FieldError, InvalidInput

RATES = ("eligible", "served", "converted")

Labels = Sequence[object] | npt.NDArray[Any]  # str labels; None or NaN = unknown
Flags = Sequence[int] | npt.NDArray[Any]  # booleans, or 0/1


@dataclass(frozen=True)
class GroupCounts:
    """One group's counts, and its rates (None where the denominator is 0)."""

    n: int
    eligible: int
    served: int
    converted: int  # converted, served and observed
    observed_served: int  # served and observed: the conversion rate's denominator

    def numerator(self, rate: str) -> int:
        return {"eligible": self.eligible, "served": self.served, "converted": self.converted}[rate]

    def denominator(self, rate: str) -> int:
        return self.observed_served if rate == "converted" else self.n

    def rate(self, rate: str) -> float | None:
        den = self.denominator(rate)
        return self.numerator(rate) / den if den else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "eligible": self.eligible,
            "served": self.served,
            "converted": self.converted,
            "observed_served": self.observed_served,
            "rates": {name: self.rate(name) for name in RATES},
        }


@dataclass(frozen=True)
class GroupImpact:
    """One group's standing on one rate against the reference group."""

    rate: float | None
    ratio: float | None  # rate / reference rate
    flagged: bool
    too_small: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "ratio": self.ratio,
            "flagged": self.flagged,
            "too_small": self.too_small,
        }


@dataclass(frozen=True)
class AdverseImpact:
    """The four-fifths comparison of one rate across groups."""

    rate: str
    reference_group: str | None
    reference_rate: float | None
    groups: dict[str, GroupImpact]

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(name for name, g in self.groups.items() if g.flagged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "reference_group": self.reference_group,
            "reference_rate": self.reference_rate,
            "flagged": list(self.flagged),
            "groups": {name: g.as_dict() for name, g in self.groups.items()},
        }


@dataclass(frozen=True)
class TargetingReport:
    """Counts per group and the adverse-impact comparison of each rate."""

    attribute: str
    threshold: float
    min_group_size: int
    unknown: int  # people left out because their label is missing
    groups: dict[str, GroupCounts]
    impact: dict[str, AdverseImpact]

    @property
    def any_flagged(self) -> bool:
        return any(a.flagged for a in self.impact.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "attribute": self.attribute,
            "threshold": self.threshold,
            "min_group_size": self.min_group_size,
            "unknown": self.unknown,
            "any_flagged": self.any_flagged,
            "groups": {name: g.as_dict() for name, g in self.groups.items()},
            "impact": {name: a.as_dict() for name, a in self.impact.items()},
        }


def _is_missing(label: object) -> bool:
    if label is None:
        return True
    return isinstance(label, float | np.floating) and math.isnan(float(label))


def _labels(values: Labels, name: str) -> list[object]:
    if isinstance(values, str | bytes):
        raise InvalidInput(
            f"{name} must be a sequence with one entry per person, not a string.",
            [FieldError(name, "must be a sequence, not a string")],
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise InvalidInput(f"{name} must be 1-D.", [FieldError(name, "must be 1-D")])
    out: list[object] = list(values)
    return out


def _flags(values: object, name: str) -> npt.NDArray[np.bool_]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be 1-D.", [FieldError(name, "must be 1-D")])
    if array.dtype == np.bool_:
        return array
    if array.size == 0:
        return np.zeros(0, dtype=np.bool_)
    if np.issubdtype(array.dtype, np.integer) and np.all((array == 0) | (array == 1)):
        return array.astype(np.bool_)
    raise InvalidInput(
        f"{name} must hold booleans (or 0/1).", [FieldError(name, "must hold booleans")]
    )


def _check_parameters(threshold: float, min_group_size: int) -> Fraction:
    errors: list[FieldError] = []
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 < float(threshold) <= 1.0
    ):
        errors.append(FieldError("threshold", "must lie in (0, 1]"))
    if (
        isinstance(min_group_size, bool)
        or not isinstance(min_group_size, int | np.integer)
        or min_group_size < 0
    ):
        errors.append(FieldError("min_group_size", "must be a non-negative integer"))
    if errors:
        raise InvalidInput("Invalid targeting parameters.", errors)
    # The decimal the caller wrote (0.8 -> 4/5), not the nearest binary float.
    return Fraction(repr(float(threshold)))


def _impact(
    rate: str, groups: dict[str, GroupCounts], threshold: Fraction, min_group_size: int
) -> AdverseImpact:
    big = [
        name
        for name, g in groups.items()
        if g.denominator(rate) > 0 and g.denominator(rate) >= min_group_size
    ]
    exact = {
        name: Fraction(g.numerator(rate), g.denominator(rate))
        for name, g in groups.items()
        if g.denominator(rate) > 0
    }
    reference = max(sorted(big), key=lambda n: exact[n]) if big else None
    ref_rate = exact[reference] if reference is not None else None
    out: dict[str, GroupImpact] = {}
    for name, g in groups.items():
        too_small = g.denominator(rate) < min_group_size
        ratio: Fraction | None = None
        if name in exact and ref_rate is not None and ref_rate > 0:
            ratio = exact[name] / ref_rate
        flagged = ratio is not None and not too_small and ratio < threshold
        out[name] = GroupImpact(
            rate=g.rate(rate),
            ratio=float(ratio) if ratio is not None else None,
            flagged=flagged,
            too_small=too_small,
        )
    return AdverseImpact(
        rate=rate,
        reference_group=reference,
        reference_rate=float(ref_rate) if ref_rate is not None else None,
        groups=out,
    )


def _one_per_person(reference: str, n: int, lengths: dict[str, int]) -> None:
    mismatched = [
        FieldError(name, f"has {length} entries, {reference} has {n}")
        for name, length in lengths.items()
        if length != n
    ]
    if mismatched:
        raise InvalidInput("Every argument must have one entry per person.", mismatched)


def _observed(observed: Flags | None, n: int) -> npt.NDArray[np.bool_]:
    """The `observed` flags, everyone when None."""
    if observed is None:
        return np.ones(n, dtype=np.bool_)
    return _flags(observed, "observed")


def targeting(
    labels: Labels,
    eligible: Flags,
    served: Flags,
    converted: Flags,
    attribute: str,
    *,
    observed: Flags | None = None,
    threshold: float = 0.8,
    min_group_size: int = 30,
) -> TargetingReport:
    """Eligible, served and converted rates per group of one attribute, with the
    four-fifths rule applied to each rate. One entry per person in every argument;
    `observed` (default: everyone) says whose engagement can be seen, hence who counts in
    the conversion rate. See the module docstring for the rules."""
    exact_threshold = _check_parameters(threshold, min_group_size)
    label_list = _labels(labels, "labels")
    columns = {
        "eligible": _flags(eligible, "eligible"),
        "served": _flags(served, "served"),
        "converted": _flags(converted, "converted"),
        "observed": _observed(observed, len(label_list)),
    }
    _one_per_person("labels", len(label_list), {k: len(v) for k, v in columns.items()})

    members: dict[str, list[int]] = {}
    unknown = 0
    for person, label in enumerate(label_list):
        if _is_missing(label):
            unknown += 1
        else:
            members.setdefault(str(label), []).append(person)
    is_eligible, is_served = columns["eligible"], columns["served"]
    is_seen = is_served & columns["observed"]
    is_converted = columns["converted"] & is_seen
    groups: dict[str, GroupCounts] = {}
    for name in sorted(members):
        index = np.asarray(members[name], dtype=np.int64)
        groups[name] = GroupCounts(
            n=int(index.size),
            eligible=int(is_eligible[index].sum()),
            served=int(is_served[index].sum()),
            converted=int(is_converted[index].sum()),
            observed_served=int(is_seen[index].sum()),
        )
    impact = {rate: _impact(rate, groups, exact_threshold, int(min_group_size)) for rate in RATES}
    return TargetingReport(
        attribute=attribute,
        threshold=float(threshold),
        min_group_size=int(min_group_size),
        unknown=unknown,
        groups=groups,
        impact=impact,
    )


def targeting_by_segment(
    segments: Labels,
    labels: Labels,
    eligible: Flags,
    served: Flags,
    converted: Flags,
    attribute: str,
    *,
    observed: Flags | None = None,
    threshold: float = 0.8,
    min_group_size: int = 30,
) -> dict[str, TargetingReport]:
    """One `targeting` report per segment (campaign, offer category, surface), keyed by the
    segment as a string and in sorted order; people with a missing segment are left out."""
    segment_list = _labels(segments, "segments")
    label_list = _labels(labels, "labels")
    flags = [
        _flags(eligible, "eligible"),
        _flags(served, "served"),
        _flags(converted, "converted"),
        _observed(observed, len(segment_list)),
    ]
    lengths = [len(label_list), *(len(f) for f in flags)]
    names = ("labels", "eligible", "served", "converted", "observed")
    _one_per_person("segments", len(segment_list), dict(zip(names, lengths, strict=True)))
    _check_parameters(threshold, min_group_size)
    members: dict[str, list[int]] = {}
    for person, segment in enumerate(segment_list):
        if not _is_missing(segment):
            members.setdefault(str(segment), []).append(person)
    out: dict[str, TargetingReport] = {}
    for segment in sorted(members):
        index = members[segment]
        out[segment] = targeting(
            [label_list[i] for i in index],
            flags[0][index],
            flags[1][index],
            flags[2][index],
            attribute,
            observed=flags[3][index],
            threshold=threshold,
            min_group_size=min_group_size,
        )
    return out
