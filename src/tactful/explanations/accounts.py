"""Explanations of account-level decisions, in the shape of a person's (`reasons.Explanation`).

Nothing personal is ever relied on: `personal` is False and `purposes` empty in every one
(the legal basis is the operator's contract with the business, recorded on the decision).
The codes and their arguments:

- `account_history.<event type>` {title}: chosen because of one item the organisation took;
- `account_overall` {signals}: chosen from the organisation's activity as a whole;
- `account_segment` {industry, size_band}: popular with organisations of the same industry
  and size band;
- `account_industry` {industry}: popular with organisations of the same industry;
- `account_popular` {}: popular with organisations overall;
- `account_catalog` {}: from the catalog, taken by no organisation yet (only when nothing
  any organisation took is left to show);
- `account_exploration` {} and `account_pinned` {}.
"""

from __future__ import annotations

from tactful.domain.accounts import AccountEventType
from tactful.domain.catalog import Item
from tactful.explanations.reasons import Explanation

_VERBS = {
    AccountEventType.PURCHASE: "ordered",
    AccountEventType.QUOTE_REQUEST: "asked a quote for",
    AccountEventType.ADD_TO_CART: "put in a cart",
    AccountEventType.VIEW: "viewed",
}


def _explanation(
    reason: str,
    code: str,
    model_version: str,
    *,
    signals: tuple[str, ...] = (),
    because: str | None = None,
    args: dict[str, str] | None = None,
) -> Explanation:
    return Explanation(
        reason=reason,
        signals=signals,
        purposes=(),
        model_version=model_version,
        personal=False,
        because_item_id=because,
        reason_code=code,
        reason_args=args or {},
    )


def explain_account_history(
    item: Item, event_type: AccountEventType, model_version: str
) -> Explanation:
    return _explanation(
        f"Because your organisation {_VERBS[event_type]} \u201c{item.title}\u201d.",
        f"account_history.{event_type.value}",
        model_version,
        signals=(event_type.value,),
        because=item.item_id,
        args={"title": item.title},
    )


def explain_account_overall(
    signal_types: frozenset[AccountEventType], model_version: str
) -> Explanation:
    kinds = ", ".join(sorted(_VERBS[t] for t in signal_types)) or "took"
    signals = tuple(sorted(t.value for t in signal_types))
    return _explanation(
        f"Picked from what your organisation {kinds} overall, not from one item in particular.",
        "account_overall",
        model_version,
        signals=signals,
        args={"signals": ",".join(signals)},
    )


def explain_account_segment(industry: str, size_band: str, model_version: str) -> Explanation:
    return _explanation(
        f"Popular with organisations like yours (industry {industry}, {size_band} people).",
        "account_segment",
        model_version,
        args={"industry": industry, "size_band": size_band},
    )


def explain_account_industry(industry: str, model_version: str) -> Explanation:
    return _explanation(
        f"Popular with organisations in your industry ({industry}).",
        "account_industry",
        model_version,
        args={"industry": industry},
    )


def explain_account_popular(model_version: str) -> Explanation:
    return _explanation("Popular with organisations overall.", "account_popular", model_version)


def explain_account_catalog(model_version: str) -> Explanation:
    return _explanation(
        "From the catalog: no organisation has taken it yet, and nothing more popular was left "
        "to show.",
        "account_catalog",
        model_version,
    )


def explain_account_exploration(model_version: str) -> Explanation:
    return _explanation(
        "Shown to widen your organisation\u2019s choices: it is outside its usual top picks.",
        "account_exploration",
        model_version,
    )


def explain_account_pinned(model_version: str) -> Explanation:
    return _explanation(
        "Placed here by the shop for every organisation on this page, not chosen from your "
        "organisation\u2019s activity. It passed the same checks as every other item "
        "(sensitive categories are never shown at account level).",
        "account_pinned",
        model_version,
    )
