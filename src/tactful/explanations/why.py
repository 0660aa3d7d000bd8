""" "Why am I seeing this?": a recorded decision, read back for the person it concerns.

It says what the decision used (signals, purposes, the level), in words, and which of the
person's controls would change it, each as the request that makes the change. The
controls are worked out from the person's choices now, so a control already used is not
offered again and a purpose withdrawn since is said to be withdrawn.

Every sentence is given in English and, for a page in another language, as a code with its
arguments: the reason's (`reason_code`, `reason_args`, null in a record made before codes
were recorded) and each control's (`code`: `withdraw_consent` {title}, `level.off`,
`level.aggregate`, `level.basic`, `level.full` {}), whose English templates are in
`tactful.web.texts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tactful.consent.ledger import ConsentState
from tactful.domain.purposes import PERSONALIZATION_AGGREGATE, PurposeCatalog

TRANSPARENCY_PATH = "/v1/transparency/recommender"
_SIGNAL_WORDS = {
    "purchase": "what you bought",
    "rating": "how you rated items",
    "add_to_cart": "what you put in your cart",
    "click": "what you looked at",
    "view": "the pages you viewed",
    "search": "what you searched for",
}


def _withdraw(code: str, title: str) -> dict[str, Any]:
    return {
        "action": "withdraw_consent",
        "label": f"Stop using my data for \u201c{title}\u201d",
        "code": "withdraw_consent",
        "args": {"title": title},
        "purpose": code,
        "request": {
            "method": "PUT",
            "path": "/v1/me/consents",
            "body": {"choices": [{"purpose": code, "status": "withdrawn"}]},
        },
    }


def _level(level: str, label: str) -> dict[str, Any]:
    return {
        "action": "set_level",
        "label": label,
        "code": f"level.{level}",
        "args": {},
        "level": level,
        "request": {"method": "PUT", "path": "/v1/me/level", "body": {"level": level}},
    }


def why_item(
    decision: Mapping[str, Any],
    item: Mapping[str, Any],
    purposes: PurposeCatalog,
    state: ConsentState,
    level_now: str,
) -> dict[str, Any]:
    explanation = item["explanation"]
    relied = []
    controls = []
    for code in explanation["purposes"]:
        purpose = purposes.by_code.get(code)
        title = purpose.title if purpose else code
        granted = state.is_granted(code)
        relied.append(
            {
                "purpose": code,
                "title": title,
                "still_granted": granted,
                "legal_basis": purpose.legal_basis if purpose else None,
            }
        )
        if granted:
            controls.append(_withdraw(code, title))
    if explanation["personal"]:
        if level_now != "off":
            controls.append(_level("off", "Turn personalization off (nothing about me is used)"))
    elif level_now == "off":
        if PERSONALIZATION_AGGREGATE in purposes:
            controls.append(
                _level(
                    "aggregate", "Show me trends among people like me (my own history is not used)"
                )
            )
        controls.append(_level("basic", "Personalize from what I buy and rate"))
        controls.append(_level("full", "Personalize from what I buy, rate, browse and search"))
    return {
        "item_id": item["item_id"],
        "title": item["title"],
        "rank": item["rank"],
        "reason": explanation["reason"],
        "reason_code": explanation.get("reason_code"),
        "reason_args": explanation.get("reason_args"),
        "personal": explanation["personal"],
        "signals_used": [
            {"signal": s, "in_words": _SIGNAL_WORDS.get(s, s)} for s in explanation["signals"]
        ],
        "because_item_id": explanation.get("because_item_id"),
        "purposes_relied_on": relied,
        "model_version": explanation["model_version"],
        "level_at_decision": decision["level"],
        "controls": controls,
        "main_parameters": TRANSPARENCY_PATH,
    }


def why_decision(
    decision: Mapping[str, Any],
    purposes: PurposeCatalog,
    state: ConsentState,
    level_now: str,
) -> dict[str, Any]:
    return {
        "decision_id": decision["decision_id"],
        "created_at": decision["created_at"],
        "surface": decision["surface"],
        "level": decision["level"],
        "level_reason": decision["level_reason"],
        "level_now": level_now,
        "personalized": decision["personalized"],
        "model": decision["model"],
        "signals_used": decision["signals_used"],
        "held_back": decision["held_back"],
        "notes": decision.get("notes", []),
        "items": [why_item(decision, i, purposes, state, level_now) for i in decision["items"]],
        "main_parameters": TRANSPARENCY_PATH,
    }
