"""Cohorts: groups of people like the person, from attributes declared in advance.

A cohort is one value per dimension (`region`, `age_band`). Which cohorts can exist is
fixed by configuration, never read from the data: the age bands are Tactful's own (adults
only; a minor is never counted nor served trends), the regions are those the operator
declares. That public domain is what lets a release be differentially private with
delta 0: whether a cohort appears in a release can depend on the people in it only
through its noisy size (`tactful.privacy.dp`). A person whose attribute is missing, or
whose region is not declared, belongs to no cohort; they count in the population's trends
and are served those.

Gender is deliberately not a dimension: recommending by gender would sort people by a
protected attribute and feed stereotypes back to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import FieldError, InvalidInput

DIMENSIONS = ("region", "age_band")
ADULT_BANDS: tuple[str, ...] = tuple(b.value for b in AgeBand if b is not AgeBand.UNDER_18)
_WORDS = {"region": "region", "age_band": "age band"}

CohortKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """The cohort dimensions, in order, and the declared regions."""

    dimensions: tuple[str, ...]
    regions: tuple[str, ...] = ()

    @classmethod
    def of(cls, dimensions: Sequence[str], regions: Sequence[str] = ()) -> CohortSpec:
        """A checked spec; a mistake is `InvalidInput` naming the field."""
        errors = cohort_errors(dimensions, regions)
        if errors:
            raise InvalidInput("The cohort configuration is invalid.", errors)
        return cls(tuple(dimensions), tuple(regions))

    def values(self, dimension: str) -> tuple[str, ...]:
        return self.regions if dimension == "region" else ADULT_BANDS

    def candidates(self) -> tuple[CohortKey, ...]:
        """Every cohort that may be released, in a fixed order: the public domain."""
        return tuple(product(*(self.values(d) for d in self.dimensions)))

    def key_of(self, attributes: SubjectAttributes) -> CohortKey | None:
        """The person's cohort, or None: a minor, a missing or undeclared value."""
        if attributes.is_minor:
            return None
        key: list[str] = []
        for dimension in self.dimensions:
            if dimension == "region":
                value = attributes.region
            else:
                value = attributes.age_band.value if attributes.age_band is not None else None
            if value is None or value not in self.values(dimension):
                return None
            key.append(value)
        return tuple(key)

    def describe(self, key: CohortKey) -> str:
        """The cohort in words, as explanations name it: "north, 25-34"."""
        return ", ".join(key)

    def words(self) -> str:
        """The dimensions in words: "region and age band"."""
        names = [_WORDS[d] for d in self.dimensions]
        return " and ".join(names) if len(names) < 3 else ", ".join(names)


def cohort_errors(dimensions: Sequence[str], regions: Sequence[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not dimensions:
        errors.append(FieldError("aggregate_cohort_by", "name at least one dimension"))
    for n, dimension in enumerate(dimensions):
        if dimension not in DIMENSIONS:
            errors.append(
                FieldError(
                    f"aggregate_cohort_by.{n}",
                    f"{dimension!r} is not a cohort dimension; one of: {', '.join(DIMENSIONS)}",
                )
            )
    if len(set(dimensions)) != len(dimensions):
        errors.append(FieldError("aggregate_cohort_by", "a dimension is named twice"))
    for n, region in enumerate(regions):
        if not 1 <= len(region) <= 64 or region != region.strip():
            errors.append(
                FieldError(f"aggregate_regions.{n}", "1 to 64 characters, no outer spaces")
            )
    if len(set(regions)) != len(regions):
        errors.append(FieldError("aggregate_regions", "a region is named twice"))
    return errors
