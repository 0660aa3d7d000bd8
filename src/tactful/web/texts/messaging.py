"""The messaging rules' checks (`messaging/*.py`): one rule's detail each, and the parts
(caps, messages sent, time zones, manipulative patterns) those details hold."""

from __future__ import annotations

from tactful.web.texts._match import N_, Part, Sentence, sentences

# Translators: joins the sentences of one detail (French: a no-break space before ;).
_DETAIL_JOIN = N_("; ")
_CAPS = Part(
    sentences(
        N_("%(count)s of %(limit)s messages over all channels in the last 24 hours"),
        N_("%(count)s of %(limit)s messages over all channels in the last 7 days"),
        # Translators: %(channel)s is email, sms or push.
        N_("%(count)s of %(limit)s %(channel)s messages in the last 24 hours"),
        N_("%(count)s of %(limit)s %(channel)s messages in the last 7 days"),
        N_("all messages are switched off by the policy (the overall cap is 0)"),
        N_("this channel is switched off by the policy (its cap is 0)"),
    ),
    separator=_DETAIL_JOIN,
)
_SENT_THIS_WEEK = Part(
    sentences(
        # Translators: said only of 1 message.
        N_("%(n)s message sent in the last 7 days"),
        N_("%(n)s messages sent in the last 7 days"),
        # Translators: said only of 1 message; %(channel)s is email, sms or push.
        N_("%(n)s %(channel)s message sent in the last 7 days"),
        N_("%(n)s %(channel)s messages sent in the last 7 days"),
    ),
    separator=_DETAIL_JOIN,
)
_ZONE = Part(
    sentences(
        N_("%(zone)s, the default, since the person has no time zone"),
        N_("%(zone)s, the default, since the person's zone is unknown"),
    ),
    verbatim=True,
)
_PATTERNS = Part(
    sentences(
        N_("false urgency"),
        N_("false scarcity"),
        N_("confirmshaming"),
        N_("guilt appeal"),
        N_("fear appeal"),
        N_("hidden costs"),
        N_("forced continuity"),
        N_("vulnerability pressure"),
    ),
    # Translators: joins a list of names.
    separator=N_(", "),
    verbatim=True,
)
MESSAGE_CHECKS: dict[str, tuple[Sentence, ...]] = {
    "channel": sentences(
        N_("No purpose is configured for this channel."),
        N_("The %(channel)s channel needs consent to %(purpose)s."),
    ),
    "consent": sentences(
        N_("No consent can cover this channel: it has no purpose configured."),
        N_("Consent to %(purpose)s is given."),
        N_("No consent to %(purpose)s has been given."),
        N_("Consent to %(purpose)s was given to an older notice and must be asked again."),
        N_("Consent to %(purpose)s is denied."),
        N_("Consent to %(purpose)s is withdrawn."),
    ),
    "profiling": sentences(
        N_("Not a profiled campaign."),
        N_(
            "A minor never gets a profiling-based message (DSA Art. 28); this campaign's "
            "audience was chosen by profiling."
        ),
        N_(
            "Personalization is off for this person, so no profiling-based message; this "
            "campaign's audience was chosen by profiling."
        ),
        N_(
            "This person allows only trends among many people (the aggregate level), so no "
            "profiling-based message; this campaign's audience was chosen by profiling."
        ),
        N_("A profiled campaign; personalization is basic."),
        N_("A profiled campaign; personalization is full."),
    ),
    "sensitive_category": sentences(
        N_("Not a sensitive category."),
        N_(
            "The campaign is about a sensitive category (%(categories)s) the person did not "
            "opt in to."
        ),
        N_("The person opted in to the sensitive category (%(categories)s)."),
    ),
    "self_exclusion": sentences(
        N_("The person excluded themselves from %(categories)s."),
        N_("No self-exclusion covers this campaign."),
    ),
    "vulnerability": sentences(
        N_("The person has not flagged vulnerability."),
        N_(
            "The person flagged vulnerability and %(categories)s is marked harm-prone: never "
            "pushed to them."
        ),
        N_("The person flagged vulnerability; this campaign is not in a harm-prone category."),
    ),
    "cap": sentences(
        N_("Cap reached: %(caps)s."),
        N_("No cap applies."),
        N_("Within the caps: %(caps)s."),
        caps=_CAPS,
    ),
    "fewer_messages": sentences(
        N_("No request for fewer messages."),
        N_("You asked for fewer messages: at most %(limit)s a week. %(sent)s."),
        sent=_SENT_THIS_WEEK,
    ),
    "fatigue": sentences(
        # Translators: said only of 1 message.
        N_("Fewer than %(n)s message can be judged yet, so there is no fatigue."),
        N_("Fewer than %(n)s messages can be judged yet, so there is no fatigue."),
        N_("The person engaged with one of the last %(n)s messages."),
        # Translators: said only of 1 day.
        N_(
            "The last message was ignored, so at most one message every %(days)s day; none "
            "was sent in that time."
        ),
        N_(
            "The last message was ignored, so at most one message every %(days)s days; none "
            "was sent in that time."
        ),
        # Translators: said only of 1 day.
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "day; none was sent in that time."
        ),
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "days; none was sent in that time."
        ),
        # Translators: said only of 1 day; %(sent_at)s is a date and time in UTC.
        N_(
            "The last message was ignored, so at most one message every %(days)s day; the "
            "last one was sent at %(sent_at)s UTC."
        ),
        N_(
            "The last message was ignored, so at most one message every %(days)s days; the "
            "last one was sent at %(sent_at)s UTC."
        ),
        # Translators: said only of 1 day.
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "day; the last one was sent at %(sent_at)s UTC."
        ),
        N_(
            "The last %(n)s messages were ignored, so at most one message every %(days)s "
            "days; the last one was sent at %(sent_at)s UTC."
        ),
    ),
    "quiet_hours": sentences(
        N_("No quiet hours are set."),
        # Translators: times are 24-hour (21:00); %(zone)s is a time zone (Europe/Paris).
        N_("It is %(time)s in %(zone)s, outside quiet hours (%(start)s to %(end)s)."),
        N_(
            "It is %(time)s in %(zone)s, inside quiet hours (%(start)s to %(end)s); they end "
            "at %(ends)s local time."
        ),
        zone=_ZONE,
    ),
    "copy": sentences(
        N_("The copy is empty."),
        N_("The copy is longer than %(n)s characters."),
        N_("The copy cannot be checked: %(problem)s"),
        N_("No manipulative pattern found in the copy."),
        # Translators: said only of 1 passage; %(patterns)s names the patterns found.
        N_("The copy has %(n)s manipulative passage (%(patterns)s)."),
        N_("The copy has %(n)s manipulative passages (%(patterns)s)."),
        # Translators: said only of 1 passage.
        N_("The copy has %(n)s manipulative passage (%(patterns)s), flagged but not blocked."),
        N_("The copy has %(n)s manipulative passages (%(patterns)s), flagged but not blocked."),
        patterns=_PATTERNS,
    ),
}
# Every rule's sentences at once: a held message's reasons do not name their rule.
ALL_MESSAGE_CHECKS = tuple(s for table in MESSAGE_CHECKS.values() for s in table)
