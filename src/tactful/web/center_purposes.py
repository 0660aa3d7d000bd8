"""A purpose of the notice in the person's words: what it lets the shop use, what changes
with it and without it, why "Allow" may not be offered, and the heading it is listed under.

The notice page and the choices page both describe purposes this way, from the purpose's
own fields, so a new purpose needs no new text here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request

from tactful.web.center_common import translator_of


def what_it_changes(request: Request, p: Mapping[str, Any]) -> dict[str, Any]:
    """What a purpose lets the shop use, what the person gets with it and without it, and
    how long its data is kept: said from the purpose's own fields."""
    t = translator_of(request)
    words = {
        "purchase_history": t("what you bought"),
        "explicit_feedback": t("how you rated items"),
        "browsing_history": t("the pages you viewed, what you clicked and put in your cart"),
        "search_history": t("what you searched for"),
    }
    uses = [words.get(c, c) for c in p["data_categories"]]
    sensitive = p["sensitive_category"]
    if sensitive:
        uses.append(t("what you do with items in this category"))
        with_it = t(
            "Items in this category may be recommended to you, and your interest in them used."
        )
        without = t(
            "Items in this category are never recommended to you, and what you do with them is "
            "not kept."
        )
    elif p["sale_or_sharing"]:
        with_it = t(
            "This data is shared with advertising partners, to show you ads on other sites."
        )
        without = t("Nothing about you is shared with advertising partners.")
    elif p["direct_marketing"]:
        with_it = t("We may send you offers this way.")
        without = t("You get no offers this way.")
    elif p["profiling"]:
        with_it = t("Your recommendations are chosen with this data.")
        without = t("Your recommendations do not use this data.")
    else:
        with_it = t("Your activity is counted with everyone else's; no profile of you is built.")
        without = t("Your activity is not counted in the shop's statistics.")
    return {
        "uses": uses,
        "with_it": with_it,
        "without": without,
        "kept": t("Kept for %(days)s days, then deleted.", days=p["retention_days"]),
        "third_parties": p["third_parties"],
    }


def not_offered(
    request: Request, p: Mapping[str, Any], *, minor: bool, gpc: bool, objected: bool
) -> str:
    """Why "Allow" is not offered for this purpose (empty: it is)."""
    t = translator_of(request)
    if minor and p["profiling"]:
        return t("Never used for people under 18: we do not build profiles of minors.")
    if gpc and p["sale_or_sharing"]:
        return t(
            "Your browser's Global Privacy Control signal opts you out of this, so it is not "
            "allowed."
        )
    if objected and p["direct_marketing"]:
        return t("You objected to direct marketing, so this is not allowed.")
    return ""


def kind_of(p: Mapping[str, Any]) -> str:
    if p["sensitive_category"]:
        return "sensitive"
    if p["sale_or_sharing"] or p["direct_marketing"]:
        return "offers"
    return "recommendations" if p["profiling"] else "statistics"


def groups(request: Request, purposes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The purposes under a few headings, so a long notice can be scanned."""
    t = translator_of(request)
    headings = [
        ("recommendations", t("Recommendations"), ""),
        ("statistics", t("Statistics"), ""),
        ("offers", t("Offers and advertising"), ""),
        (
            "sensitive",
            t("Sensitive categories"),
            t(
                "Items in these categories are never recommended to you, and what you do "
                "with them is not kept, unless you allow each category here."
            ),
        ),
    ]
    return [
        {"key": key, "title": title, "hint": hint, "purposes": found}
        for key, title, hint in headings
        if (found := [p for p in purposes if p["kind"] == key])
    ]
