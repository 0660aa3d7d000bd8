"""The shop's vocabulary: categories and their titles, brands, regions and taste segments.

Data, not logic: the generator draws from these tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from tactful.domain.subjects import AgeBand


@dataclass(frozen=True, slots=True)
class _Line:
    """A product line: every adjective reads naturally with every noun."""

    adjectives: tuple[str, ...]
    # (noun, its own variants or None for the line's)
    nouns: tuple[tuple[str, tuple[str, ...] | None], ...]
    variants: tuple[str, ...]
    tags: tuple[str, ...]


_TOP_LEVEL_BAR = re.compile(r"\|(?![^\[]*\])")  # a "|" not inside [...]
_NOUN = re.compile(r"^(?P<noun>[^\[]+?)\s*(?:\[(?P<variants>[^\]]*)\])?$")


def _line(adjectives: str, nouns: str, variants: str = "", tags: str = "") -> _Line:
    """Parse `a|b` lists; a noun may carry its own variants as `Green Tea[250g|100g]`.

    Variants are appended verbatim (so they carry their separator, e.g. `" - Navy"`);
    a noun's own variants get a space in front.
    """
    parsed: list[tuple[str, tuple[str, ...] | None]] = []
    for raw in _TOP_LEVEL_BAR.split(nouns):
        match = _NOUN.match(raw.strip())
        if match is None:
            raise ValueError(f"Malformed noun {raw!r}.")
        own = match.group("variants")
        parsed.append(
            (
                match.group("noun").strip(),
                tuple(f" {v.strip()}" for v in own.split("|")) if own else None,
            )
        )
    return _Line(
        adjectives=tuple(a.strip() for a in adjectives.split("|")),
        nouns=tuple(parsed),
        variants=tuple(variants.split("|")) if variants else ("",),
        tags=tuple(t for t in tags.split("|") if t),
    )


@dataclass(frozen=True, slots=True)
class _Category:
    code: str
    label: str
    weight: float  # relative share of the catalog
    sensitive: str | None
    lines: tuple[_Line, ...]


_COLOURS = " - Black| - White| - Graphite|"
_CATEGORY_SPECS: tuple[_Category, ...] = (
    _Category("books", "Books", 12.0, None, (
        _line(
            "The Silent|The Hidden|The Last|The Quiet|The Winter|The Golden|The Lost|"
            "The Distant|The Northern|The Secret|The Burning|The Paper|The Glass|The Salt|"
            "The Midnight|The Wandering",
            "Harbour|Orchard|Lighthouse|River|Letters|Season|Mountain|Kingdom|Road|Island|"
            "Archive|Garden|Cartographer|Daughters|Forest|Ferryman",
            " (Paperback)| (Hardcover)|",
            "fiction|novel",
        ),
        _line(
            "A Beginner's Guide to|The Complete Book of|The Joy of|Notes on|The Science of|"
            "A Short History of|Mastering|Everyday",
            "Sourdough|Trail Running|Birdwatching|Home Gardening|Watercolour|Marathon Training|"
            "Small-Space Living|Mindful Parenting|Fermentation|Wild Swimming|Coastal Walks|"
            "Mountain Hiking|Bread Baking|Personal Finance|Stargazing|Chess",
            " (Paperback)| (Hardcover)|, Second Edition",
            "non-fiction",
        ),
    )),
    _Category("electronics", "Electronics", 8.0, None, (
        _line(
            "Wireless|Compact|Portable|Smart|Slim|Pro|Mini|Max|Air|Ultra",
            "Earbuds|Headphones|Speaker|Charger|Power Bank|Keyboard|Mouse|Webcam|"
            "Fitness Tracker|Action Camera|Soundbar|USB-C Hub|Wi-Fi Router|E-Reader|Tablet|"
            "Projector|Desk Lamp",
            _COLOURS,
            "gadgets",
        ),
    )),
    _Category("fashion", "Fashion", 9.0, None, (
        _line(
            "Classic|Relaxed|Vintage|Everyday|Essential|Heritage|Urban|Weekend|Signature",
            "T-Shirt|Hoodie|Denim Jacket|Chinos|Wool Scarf|Leather Belt|Trainers|Raincoat|"
            "Knit Jumper|Linen Shirt|Ankle Boots|Beanie|Midi Dress|Cardigan",
            " - Navy| - Black| - Olive| - Grey| - Sand| - Rust",
            "clothing",
        ),
    )),
    _Category("home", "Home", 7.0, None, (
        _line(
            "Cosy|Scandi|Rustic|Modern|Minimalist|Boho|Classic|Coastal|Heritage",
            "Throw Blanket|Scented Candle|Cushion Cover|Table Lamp|Wall Clock|Bath Towel Set|"
            "Bed Linen Set|Photo Frame|Storage Basket|Doormat|Curtains|Vase|Rug|Mirror",
            " - Oatmeal| - Charcoal| - Sage|",
            "decor",
        ),
    )),
    _Category("kitchen", "Kitchen", 7.0, None, (
        _line(
            "Professional|Compact|Classic|Everyday|Heritage|Modern|Deluxe|Artisan",
            "Chef's Knife|Frying Pan|Cast Iron Skillet|Stand Mixer|Chopping Board|Spice Rack|"
            "Electric Kettle|Toaster|Coffee Grinder|Saucepan Set|Mixing Bowls|Salad Spinner|"
            "Cafetiere|Knife Block|Dutch Oven|Baking Tray",
            " - Stainless| - Black| - Sage|",
            "cooking",
        ),
    )),
    _Category("grocery", "Grocery", 8.0, None, (
        _line(
            "Organic|Fair-Trade|Premium|Classic|Everyday|Artisan|Wholesome|Farmhouse|Value",
            "Green Tea[250g|50 Bags]|Coffee Beans[250g|500g|1kg]|Olive Oil[500ml|1L]|"
            "Pasta[500g|1kg]|Honey[340g|500g]|Granola[500g|750g]|Dark Chocolate[100g|200g]|"
            "Basmati Rice[1kg|2kg]|Peanut Butter[340g|1kg]|Oat Drink[1L|6 x 1L]|"
            "Tomato Sauce[400g|700g]|Muesli[750g|1kg]|Sparkling Water[6 x 1L|12 x 330ml]|"
            "Breakfast Tea[80 Bags|160 Bags]|Porridge Oats[1kg]|Almonds[200g|500g]|"
            "Strawberry Jam[340g]|Chickpeas[400g|4 x 400g]|Coconut Milk[400ml]|Sea Salt[250g]|"
            "Apple Juice[1L]|Oatcakes[300g]",
            "",
            "food",
        ),
    )),
    _Category("sports", "Sports", 6.0, None, (
        _line(
            "Trail|Road|Lightweight|Cushioned|Racing|All-Weather|Reflective",
            "Running Shoes|Running Jacket|Running Shorts|Running Socks|Running Vest|"
            "Running Tights|Running Cap",
            " - Black| - Blue| - Coral|",
            "running",
        ),
        _line(
            "Pro|Home|Compact|Heavy-Duty|Training|Studio|Essential",
            "Dumbbell Set|Kettlebell|Yoga Mat|Resistance Bands|Foam Roller|Skipping Rope|"
            "Pull-Up Bar|Exercise Ball|Weight Bench",
            "",
            "fitness",
        ),
        _line(
            "Club|Junior|Tournament|Beginner|Pro|Classic",
            "Tennis Racket|Badminton Set|Football|Basketball|Table Tennis Bats|Cricket Bat|"
            "Squash Racket",
            "",
            "ball-sports",
        ),
        _line(
            "Comfort|Pro|Junior|Commuter|Classic",
            "Bike Helmet|Cycling Gloves|Bike Lights Set|Saddle Bag|Swim Goggles|Water Bottle",
            "",
            "cycling",
        ),
    )),
    _Category("outdoors", "Outdoors", 5.0, None, (
        _line(
            "Ultralight|All-Weather|Expedition|Compact|Packable|Rugged|Trailhead|Summit",
            "Hiking Backpack|Two-Person Tent|Sleeping Bag|Camping Stove|Headlamp|"
            "Trekking Poles|Rain Jacket|Water Filter|Camping Chair|Hammock|Bivvy Bag|Dry Bag",
            " - Forest Green| - Slate|",
            "hiking|camping",
        ),
    )),
    _Category("beauty", "Beauty", 6.0, None, (
        _line(
            "Hydrating|Gentle|Radiance|Nourishing|Soothing|Fragrance-Free|Botanical|Daily",
            "Face Moisturiser|Vitamin C Serum|Lip Balm|Conditioner|Shampoo|Hand Cream|"
            "Cleansing Gel|Eye Cream|Body Lotion|Bath Soak|Face Mask|Micellar Water",
            " 50ml| 100ml| 200ml",
            "skincare",
        ),
    )),
    _Category("toys", "Toys", 5.0, None, (
        _line(
            "Deluxe|Classic|Mini|Rainbow|Junior|Adventure|Creative|Discovery|Sunny|Jumbo",
            "Building Blocks Set|Wooden Train Set|Plush Bear|Floor Puzzle|Remote Control Car|"
            "Dolls' House|Science Kit|Kite|Marble Run|Craft Kit|Stacking Rings|Play Kitchen|"
            "Dinosaur Figures|Bath Toys Set|Ride-On Tractor|Puppet Theatre|Magnetic Tiles|"
            "Toy Garage|Xylophone|Tea Party Set",
            "",
            "kids",
        ),
    )),
    _Category("games", "Games", 4.0, None, (
        _line(
            "Family|Deluxe|Classic|Travel|Legacy|Ultimate|Pocket|Collector's",
            "Strategy Board Game|Card Game|Party Quiz Game|Chess Set|Jigsaw Puzzle|"
            "Dice Set|Co-op Adventure Game|Trivia Game|Word Game|Railway Building Game",
            "",
            "tabletop",
        ),
        _line(
            "Star|Iron|Shadow|Crystal|Ember|Storm|Neon|Frost",
            "Frontier|Legends|Odyssey|Tactics|Racers|Harvest|Dominion|Drift",
            " (Console)| (PC)",
            "video-games",
        ),
    )),
    _Category("garden", "Garden", 4.0, None, (
        _line(
            "Heavy-Duty|Weatherproof|Compact|Classic|Cottage|Deluxe|Meadow|Hedgerow|Allotment",
            "Garden Hose|Pruning Shears|Raised Bed Kit|Watering Can|Bird Feeder|Compost Bin|"
            "Solar Lanterns|Herb Seed Kit|Garden Kneeler|Planter|Leaf Rake|Wheelbarrow|"
            "Hedge Trimmer|Garden Gloves|Trowel Set|Rain Barrel|Garden Bench|Seed Trays|"
            "Potting Compost[40L|70L]",
            "",
            "gardening",
        ),
    )),
    _Category("pet_supplies", "Pet Supplies", 4.0, None, (
        _line(
            "Premium|Natural|Everyday|Deluxe|Comfort|Adventure|Classic",
            "Dog Food[2kg|12kg]|Cat Litter[10L|20L]|Dog Lead|Cat Scratching Post|Pet Bed|"
            "Chew Toy|Wild Bird Seed[2kg|5kg]|Dog Shampoo|Cat Treats|Pet Carrier|Feeding Bowl|"
            "Dog Harness|Cat Bed|Dog Coat|Hamster Cage|Puppy Pads[30 Pack|100 Pack]|"
            "Cat Toy Set|Dog Treats[200g|500g]|Aquarium Filter",
            "",
            "pets",
        ),
    )),
    _Category("music", "Music", 3.0, None, (
        _line(
            "Beginner|Studio|Vintage|Classic|Concert|Travel|Pro|Student",
            "Acoustic Guitar|Ukulele|Digital Piano|Guitar Strings|Drumsticks|Turntable|"
            "Condenser Microphone|Harmonica|Music Stand|Guitar Strap|Electronic Drum Kit|"
            "Studio Monitors|Violin|Cajon",
            "",
            "instruments",
        ),
    )),
    _Category("office", "Office", 4.0, None, (
        _line(
            "Classic|Premium|Compact|Recycled|Executive|Everyday|Minimal|Student",
            "Notebook[A5|A4]|Gel Pens[12 Pack]|Desk Organiser|Office Chair|Monitor Stand|"
            "Stapler|Whiteboard|Weekly Planner|Filing Box|Sticky Notes|Desk Mat|"
            "Paper Shredder|Label Maker|Laptop Sleeve|Document Wallet|Ring Binder|Pencil Case|"
            "Calculator|Pinboard|Envelopes[50 Pack]|Highlighters[6 Pack]",
            "",
            "stationery",
        ),
    )),
    _Category("baby", "Baby", 3.0, None, (
        _line(
            "Gentle|Soft|Classic|Everyday|Comfort|Little|Travel|Snug|Cloud",
            "Baby Bottle Set|Muslin Squares|Baby Monitor|Changing Mat|Teething Ring|"
            "Sleepsuit|Pushchair|Baby Carrier|Bath Seat|Soft Rattle|Bib Set|Night Light|"
            "Cot Mobile",
            "",
            "nursery",
        ),
    )),
    _Category("automotive", "Automotive", 3.0, None, (
        _line(
            "Heavy-Duty|Compact|Universal|Pro|All-Season|Premium|Everyday|Essential",
            "Car Phone Mount|Jump Starter|Tyre Inflator|Dash Cam|Car Vacuum|Seat Covers|"
            "Ice Scraper|Microfibre Cloths|Roof Box|Wiper Blades|Car Wax|Boot Organiser|"
            "Tow Rope",
            "",
            "car-care",
        ),
    )),
    # Sensitive categories: about a tenth of the catalog together.
    _Category("health", "Health", 2.5, "health", (
        _line(
            "Daily|Advanced|Family|Essential|Active|Complete",
            "Vitamin D3 Tablets[30 Pack|90 Pack]|Omega-3 Capsules[60 Pack|120 Pack]|"
            "Multivitamin[30 Pack|90 Pack]|Magnesium Supplement[60 Pack]|"
            "Blood Pressure Monitor|Digital Thermometer|Pulse Oximeter|Glucose Test Strips|"
            "Knee Support Brace|Hearing Aid Batteries|Probiotic Capsules[30 Pack]|"
            "Joint Care Tablets[60 Pack]",
            "",
            "wellbeing",
        ),
    )),
    _Category("pharmacy", "Pharmacy", 2.0, "health", (
        _line(
            "Fast-Acting|Maximum Strength|Gentle|Everyday|Original|Extra",
            "Allergy Relief Tablets[14 Pack|30 Pack]|Pain Relief Gel[50g|100g]|"
            "Cold & Flu Capsules[16 Pack]|Antacid Chews[24 Pack]|Sleep Aid Tablets[20 Pack]|"
            "Antiseptic Cream[30g]|Decongestant Nasal Spray[15ml]|Hay Fever Eye Drops[10ml]|"
            "Travel Sickness Tablets[12 Pack]|Hydrocortisone Cream[15g]|Cough Syrup[150ml]|"
            "Ibuprofen Tablets[16 Pack]",
            "",
            "medicines",
        ),
    )),
    _Category("wine_spirits", "Wine & Spirits", 2.5, "alcohol", (
        _line(
            "Reserve|Barrel-Aged|Single Estate|Small-Batch|Vintage|Coastal|Old Vine|Hillside",
            "Merlot[75cl]|Pinot Noir[75cl]|Sauvignon Blanc[75cl]|Rose[75cl]|Prosecco[75cl]|"
            "London Dry Gin[70cl]|Single Malt Whisky[70cl]|Dark Rum[70cl]|"
            "Craft IPA[4 x 440ml]|Cider[6 x 500ml]|Rioja[75cl]|Vodka[70cl]",
            "",
            "drinks",
        ),
    )),
    _Category("betting_lottery", "Betting & Lottery", 0.8, "gambling", (
        _line(
            "Weekly|Monthly|Jackpot|Lucky|Starter|Deluxe|Super",
            "Lottery Ticket Subscription|Scratchcard Bundle|Sports Betting Voucher|"
            "Bingo Night Pass|Poker Chip Set|Roulette Wheel Set|Casino Night Kit|"
            "Lucky Dip Entry|Football Pools Coupon|Raffle Ticket Book",
            "",
            "chance",
        ),
    )),
    _Category("debt_relief", "Payday Loans & Debt Relief", 0.6, "finance_hardship", (
        _line(
            "Quick|Flexible|Same-Day|No-Fee|12-Month|Online|Fresh Start",
            "Payday Loan|Cash Advance|Debt Consolidation Plan|Credit Repair Consultation|"
            "Budget Coaching Session|Debt Relief Programme|Bill Payment Extension|"
            "Credit Builder Card|Guarantor Loan",
            "",
            "credit",
        ),
    )),
    _Category("tobacco", "Tobacco", 0.7, "tobacco", (
        _line(
            "Smooth|Classic|Menthol|Mild|Rich|Golden|Original",
            "Rolling Tobacco[30g|50g]|Cigarillos[10 Pack]|Pipe Tobacco[50g]|Cigar Sampler|"
            "E-Liquid[10ml]|Vape Starter Kit|Nicotine Pouches[20 Pack]|Rolling Papers[50 Pack]|"
            "Disposable Vape",
            "",
            "smoking",
        ),
    )),
    _Category("sexual_wellness", "Sexual Wellness", 0.8, "sexual_wellness", (
        _line(
            "Sensitive|Natural|Discreet|Classic|Silky|Intimate|Gentle",
            "Personal Lubricant[50ml|100ml]|Condoms[12 Pack]|Massage Oil[100ml]|"
            "Couples Card Game|Intimacy Gift Set|Pregnancy Test[2 Pack]|Ovulation Test Kit|"
            "Pelvic Floor Trainer",
            "",
            "intimacy",
        ),
    )),
    _Category("weight_loss", "Weight Loss", 1.1, "weight_loss", (
        _line(
            "Lean|Slim|Advanced|Daily|Complete|30-Day|Trim",
            "Meal Replacement Shake[500g|1kg]|Protein Diet Bars[12 Pack]|"
            "Appetite Control Capsules[60 Pack]|Fat Burner Tablets[90 Pack]|"
            "Low-Calorie Snack Box|Slimming Tea[20 Bags]|Body Fat Scale|"
            "Calorie Counter Journal|Keto Meal Kit|Fibre Supplement",
            "",
            "diet",
        ),
    )),
)  # fmt: skip

CATEGORIES: Mapping[str, str] = MappingProxyType({c.code: c.label for c in _CATEGORY_SPECS})

# Invented names; sensitive categories get their own sellers.
_BRANDS = (
    "Alderbrook", "Bramblewick", "Copperfen", "Driftmoor", "Elmstead & Vale", "Fernhollow",
    "Glenmarra", "Hollowpine", "Ivorygate", "Juniper Row", "Kestrelworks", "Larchfield",
    "Marrowdale", "Nettlecombe", "Oakhaven", "Pebblecroft", "Quillmere", "Rookwood",
    "Saltmarsh & Co", "Thistledown", "Umberlight", "Velvetfern", "Willowmere", "Yarrowby",
    "Zephyrine", "Ashgrove", "Birchlowe", "Cindervale", "Dunmorrow", "Emberleigh",
    "Foxglove & Fig", "Greywater", "Heronsgate", "Inkwell & Oak", "Jasperlane", "Kittiwake",
    "Lumenfield", "Mossbank", "Nimbleton", "Orrin & Pike", "Pinecastle", "Quayside",
    "Ravelstone", "Sorrelby", "Tamsin Wild", "Upperfold", "Vantlow", "Wrenford", "Yewdale",
    "Brightmoss",
)  # fmt: skip
_SENSITIVE_BRANDS = (
    "Calmwell", "Mendfield", "Harrowgate Cellars", "Lucky Thistle", "Goldfinch Draws",
    "Swiftpenny", "Fairstart Credit", "Old Quay Tobacco", "Velvet Hour", "Leanleaf",
)  # fmt: skip

_REGIONS = (
    "north", "north-east", "north-west", "central", "east", "west", "south", "south-east",
    "south-west", "islands",
)  # fmt: skip
# Public: the demo declares them as the trends-only level's cohort regions.
REGIONS = _REGIONS
_REGION_WEIGHTS = (8, 9, 12, 14, 9, 8, 10, 16, 9, 5)
_GENDERS: tuple[str | None, ...] = ("female", "male", "nonbinary", None)
_GENDER_WEIGHTS = (0.48, 0.44, 0.02, 0.06)
_AGE_BANDS: tuple[AgeBand | None, ...] = (*AgeBand, None)
_AGE_WEIGHTS = (0.03, 0.14, 0.24, 0.21, 0.16, 0.12, 0.08, 0.02)
_OCCUPATIONS = (
    "teacher", "nurse", "engineer", "designer", "driver", "chef", "accountant",
    "sales assistant", "software developer", "electrician", "researcher", "farmer",
    "self-employed", "civil servant", "carer", "pharmacist", "marketing", "student",
)  # fmt: skip


# --------------------------------------------------------------------------- segments

# name, share of adults, boosted categories. Minors are all in "teen".
_SEGMENT_SPECS: tuple[tuple[str, float, Mapping[str, float]], ...] = (
    ("runner", 0.10, {"sports": 9, "outdoors": 6, "books": 3, "grocery": 1.5, "health": 1.0,
                      "weight_loss": 0.6}),
    ("home_cook", 0.12, {"kitchen": 9, "grocery": 8, "home": 3, "wine_spirits": 2.0,
                         "books": 1.5}),
    ("young_family", 0.11, {"baby": 9, "toys": 7, "grocery": 3, "home": 2, "pharmacy": 1.5,
                            "health": 0.8}),
    ("gamer", 0.09, {"games": 9, "electronics": 7, "music": 2, "betting_lottery": 0.6,
                     "tobacco": 0.4}),
    ("gardener", 0.08, {"garden": 9, "outdoors": 3, "home": 3, "books": 2,
                        "pet_supplies": 1.5}),
    ("style", 0.10, {"fashion": 9, "beauty": 7, "home": 2, "weight_loss": 1.0,
                     "sexual_wellness": 0.6}),
    ("professional", 0.09, {"office": 8, "electronics": 6, "books": 4, "automotive": 1.5}),
    ("pet_owner", 0.07, {"pet_supplies": 9, "grocery": 2, "garden": 2, "outdoors": 2}),
    ("motorist", 0.06, {"automotive": 9, "electronics": 3, "outdoors": 2, "tobacco": 1.0,
                        "betting_lottery": 1.0}),
    ("bookworm", 0.08, {"books": 10, "music": 4, "home": 2, "wine_spirits": 1.0}),
    ("bon_vivant", 0.06, {"wine_spirits": 6, "grocery": 4, "kitchen": 2, "music": 2,
                          "betting_lottery": 1.2, "tobacco": 0.8}),
    ("stretched", 0.04, {"grocery": 6, "debt_relief": 3, "baby": 2, "pharmacy": 1.5,
                         "betting_lottery": 1.0}),
    ("teen", 0.0, {"games": 8, "fashion": 5, "music": 4, "electronics": 4, "toys": 2,
                   "books": 2, "sports": 2, "beauty": 1.5}),
)  # fmt: skip
_TEEN = len(_SEGMENT_SPECS) - 1

# Each segment's favourite categories, strongest first.
SEGMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        name: tuple(code for code, _ in sorted(boosts.items(), key=lambda kv: -kv[1]))
        for name, _, boosts in _SEGMENT_SPECS
    }
)

_CATEGORY_INDEX: Mapping[str, int] = MappingProxyType(
    {c.code: n for n, c in enumerate(_CATEGORY_SPECS)}
)
_CATEGORY_BRANDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "health": ("Calmwell", "Mendfield"),
        "pharmacy": ("Mendfield", "Hollybush Pharmacy", "Calmwell"),
        "wine_spirits": ("Harrowgate Cellars", "Brackenridge Vintners"),
        "betting_lottery": ("Lucky Thistle", "Goldfinch Draws"),
        "debt_relief": ("Swiftpenny", "Fairstart Credit"),
        "tobacco": ("Old Quay Tobacco", "Cloudmere Vapour"),
        "sexual_wellness": ("Velvet Hour", "Tenderleaf"),
        "weight_loss": ("Leanleaf", "Trimwell"),
    }
)


# --------------------------------------------------------------------------- generation

_ZIPF_EXPONENT = 1.1
_BRANDS_PER_CATEGORY = 6
# Relative traffic per hour of the day (UTC): quiet nights, evening peak.
_HOURLY = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.6, 2.8, 3.0,
     3.2, 3.1, 2.9, 2.8, 3.0, 3.4, 4.2, 5.0, 5.2, 4.6, 3.4, 2.0]
)  # fmt: skip
_HOURLY_P = _HOURLY / _HOURLY.sum()

# The funnel, each step conditional on the one before; searches lead to a view.
_P_CLICK, _P_CART, _P_PURCHASE, _P_RATING, _P_SEARCH = 0.32, 0.40, 0.55, 0.40, 0.12
_P_FAVOURITE = 0.2  # share of a subject's visits to their own favourite category

# Consent classes of generated subjects.
_NONE, _DENY, _BASIC, _FULL = 0, 1, 2, 3
_CLASS_P = (0.35, 0.15, 0.20, 0.30)
_CLASS_ACTIVITY = np.array([1.0, 0.9, 1.2, 1.4])
