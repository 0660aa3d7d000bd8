"""Messaging decisions against the store: campaigns, caps held under concurrency, engagement,
one-click unsubscribe (RFC 8058).

`decide` adapts the pure rules (`messaging.rules.decide_message`) to the store: in one
transaction it first takes the person's messaging gate (a write, so concurrent decisions for
one person run one after the other), reads what the rules need, asks them, and records the
answer, send or hold. A sent email carries an unsubscribe token; only its SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tactful.audit.chain import AuditAction
from tactful.consent.ledger import ConsentMethod, ConsentStatus, derive_state
from tactful.consent.levels import derive_level
from tactful.errors import Conflict, FieldError, InvalidInput, NotFound
from tactful.guardrails.copy import MAX_COPY_CHARS, CopyFacts
from tactful.guardrails.policy import Channel
from tactful.ingestion.schemas import ID_PATTERN
from tactful.messaging.rules import (
    Campaign,
    MessageContext,
    MessageDecision,
    MessageRequest,
    decide_message,
)
from tactful.services.consents import Choice
from tactful.services.paging import page_request
from tactful.signals.selection import opted_in_sensitive
from tactful.storage import campaigns as stored_campaigns
from tactful.storage import messages as stored
from tactful.storage.messages import ENGAGEMENTS, StoredMessage

if TYPE_CHECKING:
    from tactful.service import Tactful

MAX_TITLE = 200
# An unsubscribe token as `secrets.token_urlsafe(32)` makes it (anything else is unknown).
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{43}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MessagingService:
    def __init__(self, service: Tactful) -> None:
        self.service = service

    # -- campaigns --------------------------------------------------------------------
    def add_campaign(
        self, campaign_id: str, title: str, category: str | None = None, profiled: bool = False
    ) -> tuple[dict[str, Any], bool]:
        """Add a campaign; the same one again changes nothing (created False), a different
        one under a taken id is a conflict. Its category must be a catalog category or a
        sensitive category of the policy, so the rules can tell what it offers."""
        errors = []
        if not re.match(ID_PATTERN, campaign_id):
            errors.append(
                FieldError("campaign_id", "letters, digits and . _ : @ - only, at most 128")
            )
        if not title.strip() or len(title) > MAX_TITLE:
            errors.append(FieldError("title", f"must be 1 to {MAX_TITLE} characters"))
        if errors:
            raise InvalidInput("The campaign is invalid; nothing was stored.", errors)
        campaign = Campaign(campaign_id, title, category, profiled)
        svc = self.service
        with svc.store.transaction() as conn:
            if category is not None:
                known = {item.category for item in svc.catalog(conn, force=True).values()}
                if category not in known and category not in svc.guardrails.sensitive_codes:
                    raise InvalidInput(
                        "Unknown campaign category; nothing was stored.",
                        [
                            FieldError(
                                "category",
                                f"{category!r} is neither a catalog category nor a sensitive "
                                "category of the guardrail policy",
                            )
                        ],
                    )
            found = stored_campaigns.get(conn, campaign_id)
            if found is not None:
                if found[0] != campaign:
                    raise Conflict(
                        f"Campaign {campaign_id!r} exists with other fields; campaigns are not "
                        "changed once messages may name them. Use a new id."
                    )
                return _campaign_view(*found), False
            now = svc.clock()
            stored_campaigns.add(conn, campaign, now)
            svc.audit.append(
                conn,
                AuditAction.CAMPAIGN_ADDED,
                detail={"campaign_id": campaign_id, "category": category, "profiled": profiled},
            )
        return _campaign_view(campaign, now), True

    def campaigns(self) -> list[dict[str, Any]]:
        with self.service.store.reading() as conn:
            return [_campaign_view(c, at) for c, at in stored_campaigns.all_campaigns(conn)]

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        with self.service.store.reading() as conn:
            found = stored_campaigns.get(conn, campaign_id)
        if found is None:
            raise NotFound(f"No campaign {campaign_id!r}.")
        return _campaign_view(*found)

    # -- decisions --------------------------------------------------------------------
    def decide(
        self,
        subject_id: str,
        channel: str,
        campaign_id: str,
        copy: str,
        *,
        stock: int | None = None,
        deadline: date | datetime | None = None,
        generated: bool = False,
    ) -> dict[str, Any]:
        """Send or hold one message, with every check's outcome; the decision is recorded
        either way. A sent email's answer carries its RFC 8058 unsubscribe headers."""
        chosen = _request_errors(subject_id, channel, campaign_id, copy, stock, deadline)
        svc = self.service
        facts = CopyFacts(stock=stock, deadline=deadline)
        with svc.store.transaction() as conn:
            # Read before the gate: campaigns never change once added.
            found_campaign = stored_campaigns.get(conn, campaign_id)
            if found_campaign is None:
                raise InvalidInput(
                    "Unknown campaign; nothing was stored.",
                    [FieldError("campaign_id", f"no campaign {campaign_id!r}; add it first")],
                )
            campaign = found_campaign[0]
            now = svc.clock()
            if not stored.lock_gate(conn, subject_id, now):
                raise NotFound(f"No subject {subject_id!r}.")
            found = svc.store.subject_and_consents(conn, subject_id)
            if found is None:  # pragma: no cover - the gate row needs the subject
                raise NotFound(f"No subject {subject_id!r}.")
            subject, consents = found
            purposes = svc.notices.catalog(conn)
            state = derive_state(subject_id, consents, purposes)
            minor = subject.attributes.is_minor
            unwanted = svc.store.exclusions(conn, subject_id, now)
            policy = svc.guardrails
            fatigue = policy.messaging.fatigue
            since = now - timedelta(days=max(7, fatigue.interval_days))
            ctx = MessageContext(
                subject=subject,
                state=state,
                level=derive_level(state, subject.attributes).level,
                policy=policy,
                opted_in_sensitive=frozenset() if minor else opted_in_sensitive(state, purposes),
                self_excluded=unwanted.get("self_exclusion", frozenset()),
                vulnerable=bool(unwanted.get("vulnerable")),
                fewer_messages=unwanted.get("fewer_messages", frozenset()),
                sent=stored.sent_to(
                    conn,
                    subject_id,
                    since,
                    fatigue.ignored,
                    now - timedelta(hours=fatigue.judge_after_hours),
                ),
            )
            request = MessageRequest(
                subject_id, chosen, campaign, copy, facts, generated=generated, now=now
            )
            decision = decide_message(request, ctx)
            message_id = uuid.uuid4()
            record = _record(message_id, request, decision)
            token = None
            if decision.send and chosen is Channel.EMAIL:
                token = secrets.token_urlsafe(32)
            stored.add(
                conn,
                StoredMessage(
                    message_id=message_id,
                    subject_id=subject_id,
                    channel=chosen.value,
                    campaign_id=campaign_id,
                    outcome=record["decision"],
                    record=record,
                    decided_at=now,
                    engagement=None,
                    engaged_at=None,
                ),
                None if token is None else token_digest(token),
            )
        answer = {k: v for k, v in record.items() if k != "request"}
        if token is not None:
            answer["headers"] = self.unsubscribe_headers(token)
        return answer

    def unsubscribe_headers(self, token: str) -> dict[str, str]:
        """RFC 8058: the link is the POST target; the second header says one click will do."""
        base = self.service.settings.resolved_public_url.rstrip("/")
        return {
            "List-Unsubscribe": f"<{base}/v1/unsubscribe/{token}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def engagement(self, message_id: str, kind: str, at: datetime | None = None) -> dict[str, Any]:
        """Report an open, click or conversion of a sent message. The first engagement's
        time is kept; a stronger kind (opened < clicked < converted) replaces a weaker one,
        a weaker or repeated one changes nothing. Fatigue counts a message as engaged from
        its first report on."""
        key = _uuid(message_id)
        if kind not in ENGAGEMENTS:
            raise InvalidInput(
                "Unknown engagement.", [FieldError("kind", "must be opened, clicked or converted")]
            )
        svc = self.service
        now = svc.clock()
        when = at or now
        if when.tzinfo is None:
            raise InvalidInput(
                "The engagement time needs a zone.",
                [FieldError("at", "must be an ISO 8601 date-time with a zone")],
            )
        with svc.store.transaction() as conn:
            found = stored.get(conn, key)
            if found is None:
                raise NotFound(f"No message {message_id}.")
            if found.outcome != "send":
                raise Conflict(f"Message {message_id} was held, not sent: nothing to engage with.")
            if not found.decided_at <= when <= now:
                raise InvalidInput(
                    "The engagement time is out of range.",
                    [FieldError("at", "must be between the message's decision and now")],
                )
            changed = stored.record_engagement(conn, key, kind, when)
            after = stored.get(conn, key)
        assert after is not None
        return {
            "message_id": message_id,
            "engagement": after.engagement,
            "engaged_at": None if after.engaged_at is None else after.engaged_at.isoformat(),
            "changed": changed,
        }

    def messages_of(
        self, subject_id: str, limit: int = 20, before: str | None = None
    ) -> dict[str, Any]:
        """The person's messaging decisions, newest first, each with its reasons and label."""
        cursor = page_request(limit, before, "message")
        svc = self.service
        with svc.store.reading() as conn:
            svc._subject(conn, subject_id)
            rows = stored.of_subject(conn, subject_id, limit, cursor)
        views = [_listed(m, title) for m, title in rows]
        last = rows[-1][0] if rows else None
        return {
            "messages": views,
            "next_before": f"{last.decided_at.isoformat()}~{last.message_id}"
            if last is not None and len(rows) == limit
            else None,
        }

    # -- one-click unsubscribe --------------------------------------------------------
    def unsubscribe_target(self, token: str) -> dict[str, Any]:
        """What a token would unsubscribe from, and whether that is done already; nothing
        about the person (the link may be opened by a mail scanner)."""
        return self._target(self._by_token(token))

    def unsubscribe(self, token: str) -> dict[str, Any]:
        """Withdraw the consent the message's channel needs, as the person's own choice by
        one-click unsubscribe (a ledger record and a signed receipt, as for any change).
        Done already: answered alike, with nothing recorded. (Two clicks in the same instant
        may both record the withdrawal; the second only repeats the first.)"""
        message = self._by_token(token)
        target = self._target(message)
        if target["unsubscribed"]:
            return target | {"status": "already_unsubscribed"}
        self.service.consent.record(
            message.subject_id,
            [Choice(target["purpose"], ConsentStatus.WITHDRAWN)],
            ConsentMethod.UNSUBSCRIBE,
        )
        return target | {"unsubscribed": True, "status": "unsubscribed"}

    def _target(self, message: StoredMessage) -> dict[str, Any]:
        purpose = self._channel_purpose(message.channel)
        with self.service.store.reading() as conn:
            catalog = self.service.notices.catalog(conn)
            records = self.service.store.consents_for(conn, message.subject_id)
        known = purpose in catalog
        granted = known and derive_state(message.subject_id, records, catalog).is_granted(purpose)
        return {
            "channel": message.channel,
            "purpose": purpose,
            "title": catalog.by_code[purpose].title if known else purpose,
            "unsubscribed": not granted,
        }

    def _by_token(self, token: str) -> StoredMessage:
        found = None
        if _TOKEN.match(token):
            with self.service.store.reading() as conn:
                found = stored.by_unsubscribe_hash(conn, token_digest(token))
        if found is None:
            raise NotFound("This unsubscribe link is not known (or no longer).")
        return found

    def _channel_purpose(self, channel: str) -> str:
        configured = self.service.guardrails.messaging.channels.get(Channel(channel))
        # A channel the policy no longer configures: its purpose by the shipped convention.
        return configured.purpose if configured is not None else f"marketing.{channel}"


def _request_errors(
    subject_id: str,
    channel: str,
    campaign_id: str,
    copy: str,
    stock: int | None,
    deadline: date | datetime | None,
) -> Channel:
    """Check a decide request's fields (all at once); the channel, when they are fine."""
    errors = []
    if not re.match(ID_PATTERN, subject_id):
        errors.append(FieldError("subject_id", "not a valid subject id"))
    if channel not in set(Channel):
        errors.append(FieldError("channel", "must be email, sms or push"))
    if not re.match(ID_PATTERN, campaign_id):
        errors.append(FieldError("campaign_id", "not a valid campaign id"))
    if not copy.strip():
        errors.append(FieldError("copy", "copy must not be empty"))
    elif len(copy) > MAX_COPY_CHARS:
        errors.append(FieldError("copy", f"longer than {MAX_COPY_CHARS} characters"))
    if stock is not None and stock < 0:
        errors.append(FieldError("facts.stock", "must be 0 or more"))
    if isinstance(deadline, datetime) and deadline.tzinfo is None:
        errors.append(FieldError("facts.deadline", "must be an ISO 8601 date-time with a zone"))
    if errors:
        raise InvalidInput("The message request is invalid; nothing was stored.", errors)
    return Channel(channel)


def _record(
    message_id: uuid.UUID, request: MessageRequest, decision: MessageDecision
) -> dict[str, Any]:
    """What is kept of a decision: the answer, and the request without its copy (its hash
    and length stand for it; the findings quote only the flagged spans)."""
    facts = request.facts
    return {
        "message_id": str(message_id),
        "subject_id": request.subject_id,
        "channel": request.channel.value,
        "campaign_id": request.campaign.campaign_id,
        "decided_at": request.now.isoformat(),
        **decision.as_dict(),
        "request": {
            "campaign_title": request.campaign.title,
            "copy_sha256": hashlib.sha256(request.copy.encode()).hexdigest(),
            "copy_chars": len(request.copy),
            "facts": {
                "stock": facts.stock,
                "deadline": None if facts.deadline is None else facts.deadline.isoformat(),
            },
            "generated": request.generated,
        },
    }


def _listed(message: StoredMessage, title: str | None) -> dict[str, Any]:
    record = message.record
    return {
        "message_id": str(message.message_id),
        "decided_at": message.decided_at.isoformat(),
        "channel": message.channel,
        "campaign_id": message.campaign_id,
        "campaign_title": title,
        "decision": message.outcome,
        "reasons": record.get("reasons", []),
        "disclosure": record["disclosure"],
        "engagement": message.engagement,
    }


def _campaign_view(campaign: Campaign, created_at: datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "title": campaign.title,
        "category": campaign.category,
        "profiled": campaign.profiled,
        "created_at": created_at.isoformat(),
    }


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(
            "Not a message id.", [FieldError("message_id", "must be a UUID")]
        ) from None


__all__ = ["MessagingService", "token_digest"]
