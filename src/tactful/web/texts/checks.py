"""The fairness audit's checks (`fairness/checks.py`), each "<what was found>; <the
threshold>.", and the name of every check, the audit's and the messaging rules'."""

from __future__ import annotations

from tactful.web.texts._match import N_, Part, Sentence, sentences

_LIMITS = Part(
    sentences(
        # Translators: ends an audit check, e.g. "...; below the floor of 0.80."
        N_("below the floor of %(threshold)s"),
        N_("above the ceiling of %(threshold)s"),
        N_("the floor is %(threshold)s"),
        N_("the ceiling is %(threshold)s"),
    )
)
_METRICS = Part(
    sentences(
        N_("nDCG@%(k)s"),
        N_("precision@%(k)s"),
        N_("recall@%(k)s"),
        N_("MAP@%(k)s"),
        N_("MRR@%(k)s"),
        N_("hit rate@%(k)s"),
    ),
    verbatim=True,
)
# Translators: a group and its ratio, in a list of groups below the floor ("F 0.62").
_BELOW = Part((Sentence(N_("%(group)s %(ratio)s")),), separator=N_(", "))


def _said(*templates: str, **parts: Part) -> tuple[Sentence, ...]:
    # Translators: an audit check: what was found, then its threshold.
    outer = N_("%(said)s; %(limit)s.")
    found = Part(sentences(*templates, **parts))
    return (Sentence(outer, {"said": found, "limit": _LIMITS}),)


AUDIT_CHECKS: dict[str, tuple[Sentence, ...]] = {
    "quality_ratio": _said(
        N_("By %(attribute)s, no group got any %(metric)s, so no ratio is defined"),
        # Translators: "By gender, F got 0.80 of M's nDCG@10".
        N_("By %(attribute)s, %(worst)s got %(ratio)s of %(best)s's %(metric)s"),
        metric=_METRICS,
    ),
    "provider_exposure_ratio": _said(
        N_("No list showed any item, so provider %(provider)s has no exposure ratio"),
        N_(
            "Provider %(provider)s got %(share)s of the exposure for %(catalog)s of the "
            "catalog, a ratio of %(ratio)s"
        ),
    ),
    "exposure_gini": _said(
        N_("The Gini coefficient of item exposure is %(value)s"),
        N_("Exposure gini could not be measured (no usable list)"),
    ),
    "coverage": _said(
        N_("%(value)s of the catalog was recommended at least once"),
        N_("Coverage could not be measured (no usable list)"),
    ),
    "long_tail_share": _said(
        N_("%(value)s of the recommended items are from the long tail"),
        N_("Long tail share could not be measured (no usable list)"),
    ),
    "miscalibration": _said(
        N_("The lists' mean miscalibration against their people's histories is %(value)s"),
        N_("Miscalibration could not be measured (no usable list)"),
    ),
    "adverse_impact_ratio": _said(
        # Longest first: "... of the rate of %(reference)s" would match them all.
        # Translators: %(segment)s is e.g. "genre Drama", %(group)s e.g. "gender F".
        N_(
            "In %(segment)s, %(group)s was made eligible at %(ratio)s of the rate of "
            "%(reference)s (also below the floor: %(others)s)"
        ),
        N_(
            "In %(segment)s, %(group)s was served at %(ratio)s of the rate of %(reference)s "
            "(also below the floor: %(others)s)"
        ),
        N_(
            "In %(segment)s, %(group)s converted, once served (where engagement is seen), at "
            "%(ratio)s of the rate of %(reference)s (also below the floor: %(others)s)"
        ),
        N_("In %(segment)s, %(group)s was made eligible at %(ratio)s of the rate of %(reference)s"),
        N_("In %(segment)s, %(group)s was served at %(ratio)s of the rate of %(reference)s"),
        N_(
            "In %(segment)s, %(group)s converted, once served (where engagement is seen), at "
            "%(ratio)s of the rate of %(reference)s"
        ),
        others=_BELOW,
    ),
}


# The checks by name: the audit's (as reports/audit.py labels them) and the messaging rules'.
CHECK_NAMES: dict[str, str] = {
    "quality_ratio": N_("Quality ratio between groups"),
    "provider_exposure_ratio": N_("Provider exposure ratio"),
    "exposure_gini": N_("Gini of item exposure"),
    "coverage": N_("Catalog coverage"),
    "long_tail_share": N_("Long-tail share"),
    "miscalibration": N_("Miscalibration"),
    "adverse_impact_ratio": N_("Adverse-impact ratio (four-fifths rule)"),
    "channel": N_("Channel"),
    "consent": N_("Consent"),
    "profiling": N_("Profiling"),
    "sensitive_category": N_("Sensitive category"),
    "self_exclusion": N_("Self-exclusion"),
    "vulnerability": N_("Vulnerability"),
    "cap": N_("Frequency caps"),
    "fewer_messages": N_("Fewer messages"),
    "fatigue": N_("Fatigue"),
    "quiet_hours": N_("Quiet hours"),
    "copy": N_("Manipulative copy"),
}
