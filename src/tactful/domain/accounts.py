"""Business accounts: organisations a shop sells to, described by firmographics only.

An account is personalized for as an organisation. Nothing here names or describes a
person: no contact, no user, no email. Its events are what the organisation did (viewed,
put in a cart, asked a quote for, ordered), whoever did it for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Short industry codes: a NACE or NAICS code, or the operator's own ("retail", "c10.7").
INDUSTRY_PATTERN = r"^[a-z0-9][a-z0-9._\-]{0,31}$"

# ISO 3166-1 alpha-2: the 249 officially assigned codes.
_ALPHA_2 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRIES = frozenset(_ALPHA_2.split())


class SizeBand(StrEnum):
    """Head count bands (the EU's micro, small, medium and large, the last split in two)."""

    MICRO = "1-9"
    SMALL = "10-49"
    MEDIUM = "50-249"
    LARGE = "250-999"
    VERY_LARGE = "1000+"


class AccountEventType(StrEnum):
    """What an organisation did with an item. The values shared with a person's
    `EventType` mean the same; a quote request exists only between businesses."""

    VIEW = "view"
    ADD_TO_CART = "add_to_cart"
    QUOTE_REQUEST = "quote_request"
    PURCHASE = "purchase"

    @property
    def carries_quantity(self) -> bool:
        return self is not AccountEventType.VIEW


# How strongly each kind says the organisation wants the item (a person's scale, with a
# quote request between a cart and an order).
ACCOUNT_EVENT_WEIGHTS: dict[AccountEventType, float] = {
    AccountEventType.VIEW: 1.0,
    AccountEventType.ADD_TO_CART: 3.0,
    AccountEventType.QUOTE_REQUEST: 4.0,
    AccountEventType.PURCHASE: 5.0,
}


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    industry: str | None = None
    size_band: SizeBand | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class AccountEvent:
    account_id: str
    item_id: str
    event_type: AccountEventType
    occurred_at: datetime
    # Units ordered, quoted or carted; None for a view or when not told.
    quantity: int | None = None

    @property
    def weight(self) -> float:
        return ACCOUNT_EVENT_WEIGHTS[self.event_type]


def strongest_by_item(events: list[AccountEvent]) -> dict[str, tuple[float, AccountEvent]]:
    """Per item, the heaviest event (its weight and the event); the newest wins a tie,
    events coming newest first."""
    best: dict[str, tuple[float, AccountEvent]] = {}
    for event in events:
        weight = ACCOUNT_EVENT_WEIGHTS[event.event_type]
        current = best.get(event.item_id)
        if current is None or weight > current[0]:
            best[event.item_id] = (weight, event)
    return best
