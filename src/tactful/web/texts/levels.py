"""Why a personalization level applies, as `consent/levels.py` (`derive_level`) says it."""

from __future__ import annotations

from tactful.web.texts._match import N_, Sentence, sentences

# Level reasons (consent/levels.py derive_level).
LEVEL_REASONS: tuple[Sentence, ...] = sentences(
    N_("Personalization is off because this person is a minor; minors are never profiled."),
    N_("No choice has been recorded, so personalization is off by default."),
    N_("Personalization is off because consent to it is not given."),
    N_("Full personalization: purchases, ratings, browsing and searches may be used."),
    N_("Basic personalization: only purchases and ratings may be used."),
    N_(
        "Aggregate personalization: only trends among many people like this person, counted "
        "with differential privacy; nothing this person did is used."
    ),
)
