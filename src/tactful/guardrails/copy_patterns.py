"""The English rules of the copy check: each a pattern, a regular expression and a reason.

The expressions run on the normalised copy (NFKC, casefolded, typographic quotes and dashes
made plain), so they are written in lower case with a plain apostrophe. Each rule says which
fact, if the sender states it, makes the claim fair (a real stock count, a real deadline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CopyPattern(StrEnum):
    """The dark patterns the check names (after the FTC and EU consumer-law catalogues)."""

    FALSE_URGENCY = "false_urgency"
    FALSE_SCARCITY = "false_scarcity"
    CONFIRMSHAMING = "confirmshaming"
    GUILT_APPEAL = "guilt_appeal"
    FEAR_APPEAL = "fear_appeal"
    HIDDEN_COSTS = "hidden_costs"
    FORCED_CONTINUITY = "forced_continuity"
    VULNERABILITY_PRESSURE = "vulnerability_pressure"


class Excuse(StrEnum):
    """What can make a matched claim fair."""

    NONE = "none"
    STOCK = "stock"  # the sender gave the real stock count
    DEADLINE = "deadline"  # the sender gave the real deadline, or the copy names a date


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: CopyPattern
    regex: re.Pattern[str]
    why: str
    excuse: Excuse = Excuse.NONE
    negatable: bool = False  # "no hidden fees" must not count as a hidden fee


def _r(text: str) -> re.Pattern[str]:
    return re.compile(text, re.VERBOSE)


_U, _S, _C = CopyPattern.FALSE_URGENCY, CopyPattern.FALSE_SCARCITY, CopyPattern.CONFIRMSHAMING
_G, _F, _H = CopyPattern.GUILT_APPEAL, CopyPattern.FEAR_APPEAL, CopyPattern.HIDDEN_COSTS
_V = CopyPattern.VULNERABILITY_PRESSURE

RULES: tuple[Rule, ...] = (
    # False urgency and countdown pressure.
    Rule(
        _U,
        _r(
            r"\b(hurry(\s+up)?|act\s+(now|fast|quickly)|now\s+or\s+never|don't\s+wait|"
            r"clock\s+is\s+ticking|time\s+is\s+running\s+out|running\s+out\s+of\s+time|"
            r"before\s+it's\s+too\s+late|tick[\s-]?tock|don't\s+delay|"
            r"(order|buy|book|grab|claim|decide|upgrade)\s+(it\s+)?(right\s+)?now\s*!|"
            r"last\s+chance\s*!|final\s+warning|no\s+time\s+to\s+(lose|waste)|"
            r"(offer|deal|cart|basket|discount|price|reward|points)\s+(will\s+)?expires?\s+soon)"
            r"(?!\w)"
        ),
        "It pushes the reader to decide at once instead of giving a real reason to.",
        Excuse.DEADLINE,
    ),
    Rule(
        _U,
        _r(
            r"\b((expires?|ends?|closes?|gone|vanish(es)?|disappears?)\s+in\s+"
            r"(\d+|a\s+few|one|two|five|ten)\s*(sec|second|min|minute|mins|hour|hr)s?\b|"
            r"\d{1,2}:\d{2}(:\d{2})?\s+(left|remaining)|"
            r"(only|just)\s+(\d+|a\s+few)\s+(minutes?|hours?|mins?|seconds?)\s+(left|to\s+go)|"
            r"in\s+the\s+next\s+\d+\s+(minutes?|mins?|seconds?)|"
            r"ends?\s+(today|tonight)\s*!|today\s+only\s*!|"
            r"(offer|deal|price|discount)s?\s+(will\s+)?(expires?|disappears?|vanish(es)?)\s+soon|"
            r"(timer|countdown)\s+(is\s+)?(running|on|started))(?!\w)"
        ),
        "It presses with a countdown or an unexplained 'ends soon' instead of a real date.",
        Excuse.DEADLINE,
    ),
    # False scarcity.
    Rule(
        _S,
        _r(
            r"\b((only|just)\s+(\d+|one|two|three|four|five|a\s+(few|handful))\s+"
            r"([a-z-]+\s+){0,2}(left|remaining|available|in\s+stock)|"
            r"(almost|nearly)\s+(gone|sold\s+out)|selling\s+(out\s+)?fast|going\s+fast|"
            r"(won't|will\s+not)\s+last|before\s+(it's|they're)\s+gone|"
            r"(very\s+)?low\s+(stock|availability)|limited\s+stock|few\s+left|"
            r"in\s+(high|huge)\s+demand|\d+\s+(people|others|shoppers|travell?ers)\s+"
            r"(are\s+)?(looking|viewing|watching|have\s+this)|"
            r"in\s+\d+\s+(other\s+)?(baskets|carts)|last\s+(few\s+)?(seats?|rooms?|units?)\s+"
            r"(at|for|left))"
        ),
        "It claims goods are running out without a stock figure to back the claim.",
        Excuse.STOCK,
    ),
    # Confirmshaming.
    Rule(
        _C,
        _r(
            r"\b(no|nope|nah)[,.!]?\s*(thanks|thank\s+you)?[,.!]?\s*i\s*("
            r"(don't|do\s+not)\s+(like|want|care|need)\s+(to\s+|about\s+)?(sav|deal|discount|"
            r"money|good|be\b|being|free|exclusive|health|my\s)|hate\s|"
            r"('d|\s+would|\s+)?\s*(prefer|rather)\s+(to\s+)?(miss|stay|pay|be\b|lose)|"
            r"(enjoy|like)\s+paying|('ll|\s+will)\s+stay\s|'m\s+fine\s+(being|paying|missing))"
            r"[^.\n]{0,60}"
        ),
        "The decline button mocks the reader for saying no.",
    ),
    Rule(
        _C,
        _r(
            r"\bi\s+(don't|do\s+not)\s+(like|want|care\s+about)\s+(saving|money|deals|"
            r"discounts|free\s+stuff|being\s+(healthy|safe|happy))|"
            r"\bi('d|\s+would)\s+rather\s+(pay\s+full\s+price|miss\s+out|stay\s+\w+)|"
            r"\bi\s+(enjoy|like)\s+paying\s+(full|more)|"
            r"\bi('ll|\s+will)\s+(pass|stay)\s+(on\s+)?(uninformed|broke|unhealthy|behind)"
        ),
        "It shames the reader for declining the offer.",
    ),
    # Guilt appeals.
    Rule(
        _G,
        _r(
            r"\b((let|lets|letting)\s+(us|them|everyone|your\s+(whole\s+)?\w+)\s+down|"
            r"\b(is|are)\s+(so\s+|really\s+)?(heartbroken|disappointed)|"
            r"after\s+(all|everything)\s+we('ve|\s+have)\s+done|"
            r"(don't|do)\s+you\s+(even\s+)?care|we\s+thought\s+you\s+cared|"
            r"you\s+(forgot|abandoned|left)\s+(about\s+)?(us|them|your\s+\w+)|"
            r"(we're|we\s+are|they're|they\s+are|he's|she's)\s+(so\s+|really\s+)?"
            r"(sad|heartbroken|disappointed|hurt)|"
            r"your\s+(family|kids|children|pet|dog|cat|team)\s+deserves?\s+better|"
            r"how\s+could\s+you|shame\s+on\s+you|what\s+kind\s+of\s+(parent|friend|person)|"
            r"a\s+good\s+(parent|mother|father|friend)\s+would)"
        ),
        "It makes the reader feel guilty to get them to act.",
    ),
    # Fear appeals.
    Rule(
        _F,
        _r(
            r"\b(you\s+(could|might|will)\s+lose\s+(everything|it\s+all|your\s+\w+\s+forever)|"
            r"don't\s+risk\s+(it|your|losing)|you('ll|\s+will)\s+regret|"
            r"(is|are|could\s+be)\s+in\s+danger|you('re|\s+are)\s+not\s+safe|"
            r"(hackers|criminals|thieves)\s+(are|could|will)|"
            r"(left|fall)\s+behind|everyone\s+else\s+(already|has|is)|"
            r"don't\s+be\s+the\s+(only\s+)?one|what\s+if\s+(the\s+worst|something\s+happens)|"
            r"(disaster|catastrophe)\s+(is|could)|before\s+disaster|"
            r"scary|terrifying|can\s+you\s+afford\s+(to|not))"
        ),
        "It frightens the reader instead of informing them.",
    ),
    # Hidden costs.
    Rule(
        _H,
        _r(
            r"(\bfree|\$\s?\d[\d.,]*|€\s?\d[\d.,]*|£\s?\d[\d.,]*|\d[\d.,]*\s?(€|eur|usd))"
            r"(\s?/\s?[a-z]+|\s(a|per)\s[a-z]+)?\s*\*+"
        ),
        "A price or 'free' carries an asterisk that hides conditions in small print.",
    ),
    Rule(
        _H,
        _r(
            r"\b((plus|\+|excl\.?|excluding|before)\s+(service|booking|processing|handling|"
            r"admin|resort|convenience|delivery|shipping|activation|setup|platform)?\s*"
            r"(fees?|charges?|taxes)|(fees?|charges?|surcharges?)\s+(may\s+)?apply|"
            r"(additional|extra|other)\s+(fees?|charges?|costs?)\s+(may\s+)?apply|"
            r"(price|rate)s?\s+(shown\s+)?(excludes?|does\s+not\s+include|don't\s+include))"
        ),
        "It leaves fees out of the price shown and mentions them only in passing.",
        negatable=True,
    ),
    # Pressure aimed at a vulnerability.
    Rule(
        _V,
        _r(
            r"\b(drowning\s+in\s+debt|(bad|no|poor)\s+credit\??\s+no\s+problem|"
            r"can't\s+pay\s+(your\s+)?(bills|rent)|desperate\s+for\s+cash|"
            r"cash\s+(today|now|in\s+minutes)|payday\s+loan|"
            r"(feeling|so|all)\s+(lonely|alone)|no\s*one\s+(cares|loves|else\s+will)|"
            r"nobody\s+(cares|loves|wants)|"
            r"win\s+(it\s+)?back\s+(your|what)|chase\s+(your\s+)?loss(es)?|one\s+more\s+(bet|spin)|"
            r"you\s+deserve\s+a\s+drink|(just|have)\s+one\s+more\s+drink|"
            r"(ashamed|embarrassed)\s+of\s+your|hate\s+your\s+(body|looks)|"
            r"before\s+(the\s+)?(pain|symptoms?|lump|illness)\s+(gets|get)\s+worse|"
            r"at\s+your\s+age|too\s+old\s+to|(before|as)\s+you\s+get\s+(old|older)|"
            r"(aging|ageing)\s+(is\s+)?(ruining|destroying)|"
            r"(worried|scared|afraid)\s+(about|of)\s+(your\s+)?(health|cancer|dying|debt|money))"
        ),
        "It aims pressure at a vulnerability: debt, loneliness, addiction, health fears or age.",
    ),
)

# Context words.
NEGATION = re.compile(r"\b(no|without|zero|never|not|incl\.?|including|all)\s+([a-z-]+\s+){0,2}$")
DATE = re.compile(
    r"\b(\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?\b|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(/\d{2,4})?)"
)

# Forced continuity: a trial that turns into a charge, with no word on how to cancel.
TRIAL = re.compile(
    r"\b(free\s+)?trial\b|\bfree\s+for\s+(\d+|a|an|one|two|three)\s+(days?|weeks?|months?)\b|"
    r"\bfirst\s+(month|week)\s+(free|for\s+\$?\d)"
)
RENEWAL = re.compile(
    r"\b(auto(matically)?[\s-]?renew|renews?\s+automatically|then\s+(\$|€|£)?\s?\d|"
    r"(billed|charged)\s+(automatically|monthly|yearly|annually|each|every)|"
    r"we('ll|\s+will)\s+(charge|bill)|converts?\s+to\s+a\s+paid|"
    r"continues?\s+(at|for)\s+(\$|€|£)\s?\d|(rolls?|turns?)\s+into\s+a\s+paid)"
)
CANCEL_INFO = re.compile(
    r"\b(cancel\s+(any\s*time|online|in\s+\w+|from|with|by|before|at\s+any)|"
    r"how\s+to\s+cancel|one[\s-]click\s+cancel|no\s+auto[\s-]?renew|"
    r"(won't|will\s+not|never)\s+(auto[\s-]?renew|charge|bill)|remind\s+you\s+before|"
    r"reminder\s+\d+\s+days\s+before)"
)
