"""What a campaign's category means to the guardrails: its sensitive codes and every name an
exclusion could give it.

A campaign names one category, either a catalog category ("betting_lottery") or a sensitive
code ("gambling"). Read from `policy.sensitive` here, so the messaging rules resolve it the
same way the recommendation filters resolve an item's catalog category.
"""

from __future__ import annotations

from tactful.guardrails.policy import GuardrailPolicy

__all__ = ["category_names", "sensitive_codes_of"]


def sensitive_codes_of(policy: GuardrailPolicy, category: str | None) -> frozenset[str]:
    """The sensitive categories a campaign in `category` belongs to: the category itself when
    it is a sensitive code, and the code its catalog category is listed under."""
    if category is None:
        return frozenset()
    codes = {c.code for c in policy.sensitive if c.code == category}
    codes |= {c.code for c in policy.sensitive if category in c.catalog_categories}
    return frozenset(codes)


def category_names(policy: GuardrailPolicy, category: str | None) -> frozenset[str]:
    """Every name a self-exclusion or a harm-prone mark could use for the campaign's offer.

    The category, its sensitive codes and, when the category is a sensitive code, the catalog
    categories listed under it: a "gambling" campaign offers betting too, so a person who
    excluded "betting_lottery" never gets it."""
    if category is None:
        return frozenset()
    codes = sensitive_codes_of(policy, category)
    names = {category, *codes}
    for sensitive in policy.sensitive:
        if sensitive.code == category:
            names.update(sensitive.catalog_categories)
    return frozenset(names)
