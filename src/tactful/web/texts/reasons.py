"""The sentences of an explanation ("Why am I seeing this?"): its reasons, the kinds of
signal it names and the controls it offers, by the code recorded beside the English
(`explanations/reasons.py`, `explanations/why.py`)."""

from __future__ import annotations

from tactful.web.texts._match import N_

REASONS: dict[str, str] = {
    "because.purchase": N_("Because you bought \u201c%(title)s\u201d."),
    "because.rating": N_("Because you rated \u201c%(title)s\u201d."),
    "because.add_to_cart": N_("Because you put in your cart \u201c%(title)s\u201d."),
    "because.click": N_("Because you looked at \u201c%(title)s\u201d."),
    "because.view": N_("Because you viewed \u201c%(title)s\u201d."),
    "because.search": N_("Because you searched for \u201c%(title)s\u201d."),
    # Translators: %(kinds)s is a list of the verbs below ("bought, rated"), or "chose".
    "overall": N_("Picked from what you %(kinds)s overall, not from one item in particular."),
    "popular.off": N_(
        "Popular with shoppers right now. Not based on anything about you: personalization is off."
    ),
    "popular.no_signals": N_(
        "Popular with shoppers right now. We hold nothing about you that your choices let "
        "us use yet."
    ),
    "popular.shown": N_("Popular with shoppers right now. Shown as a popular pick."),
    "editorial.off": N_(
        "An editor\u2019s pick. Not based on anything about you: personalization is off."
    ),
    "editorial.no_signals": N_(
        "An editor\u2019s pick. We hold nothing about you that your choices let us use yet."
    ),
    "editorial.shown": N_("An editor\u2019s pick. Shown as a popular pick."),
    "popular.aggregate": N_(
        "Popular with shoppers right now. Trends among people like you are not computed yet."
    ),
    "editorial.aggregate": N_(
        "An editor\u2019s pick. Trends among people like you are not computed yet."
    ),
    # Translators: %(cohort)s names a group by its region and age band ("north, 25-34");
    # %(epsilon)s is the privacy budget, a number.
    "cohort": N_(
        "Popular among people like you (%(cohort)s), counted with differential privacy "
        "(\u03b5 = %(epsilon)s) in a group of at least %(k)s people. Nothing of your own "
        "history was used to choose it."
    ),
    "cohort_population.too_small": N_(
        "Popular among everyone who shares their activity for trends, counted with "
        "differential privacy (\u03b5 = %(epsilon)s): too few people like you (%(cohort)s) "
        "share theirs to show their own trends (at least %(k)s are needed). Nothing of your "
        "own history was used to choose it."
    ),
    "cohort_population.no_cohort": N_(
        "Popular among everyone who shares their activity for trends, counted with "
        "differential privacy (\u03b5 = %(epsilon)s): we do not know a group of people like "
        "you to show the trends of. Nothing of your own history was used to choose it."
    ),
    "exploration": N_("Shown to widen your choices: it is outside your usual top picks."),
    "pinned": N_(
        "Placed here by the shop for everyone on this page, not chosen from your data. It "
        "passed the same checks as every other item (your choices, exclusions and sensitive "
        "categories)."
    ),
}
# What the person did, as the verb in "Picked from what you ... overall".
VERBS: dict[str, str] = {
    # Translators: "Picked from what you bought overall".
    "purchase": N_("bought"),
    # Translators: "Picked from what you rated overall".
    "rating": N_("rated"),
    # Translators: "Picked from what you put in your cart overall".
    "add_to_cart": N_("put in your cart"),
    # Translators: "Picked from what you looked at overall".
    "click": N_("looked at"),
    # Translators: "Picked from what you viewed overall".
    "view": N_("viewed"),
    # Translators: "Picked from what you searched for overall".
    "search": N_("searched for"),
}
# Translators: "Picked from what you chose overall" (no kind of signal is named).
NO_VERB = N_("chose")
SIGNALS: dict[str, str] = {
    "purchase": N_("what you bought"),
    "rating": N_("how you rated items"),
    "add_to_cart": N_("what you put in your cart"),
    "click": N_("what you looked at"),
    "view": N_("the pages you viewed"),
    "search": N_("what you searched for"),
}
CONTROLS: dict[str, str] = {
    "withdraw_consent": N_("Stop using my data for \u201c%(title)s\u201d"),
    "level.off": N_("Turn personalization off (nothing about me is used)"),
    "level.aggregate": N_("Show me trends among people like me (my own history is not used)"),
    "level.basic": N_("Personalize from what I buy and rate"),
    "level.full": N_("Personalize from what I buy, rate, browse and search"),
}
