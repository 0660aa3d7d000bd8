"""The copy rule: the manipulative-copy check, blocking or flagging as the policy says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tactful.errors import InvalidInput
from tactful.guardrails.copy import MAX_COPY_CHARS, Finding, check_copy
from tactful.guardrails.policy import GuardrailPolicy
from tactful.messaging.verdict import Verdict

if TYPE_CHECKING:
    from tactful.messaging.rules import MessageRequest

__all__ = ["copy_verdict"]


def copy_verdict(
    request: MessageRequest, policy: GuardrailPolicy
) -> tuple[Verdict, tuple[Finding, ...]]:
    """The copy check's answer and findings; empty or over-long copy is a hold, never an
    error (the API refuses both before, but the rules must not depend on it)."""
    text = request.copy
    if not text.strip():
        return Verdict("copy", False, "The copy is empty."), ()
    if len(text) > MAX_COPY_CHARS:
        return Verdict("copy", False, f"The copy is longer than {MAX_COPY_CHARS:,} characters."), ()
    try:
        findings = tuple(check_copy(text, facts=request.facts))
    except InvalidInput as exc:
        return Verdict("copy", False, f"The copy cannot be checked: {exc}"), ()
    if not findings:
        return Verdict("copy", True, "No manipulative pattern found in the copy."), ()
    patterns = ", ".join(sorted({f.pattern.value.replace("_", " ") for f in findings}))
    found = f"{len(findings)} manipulative {'passage' if len(findings) == 1 else 'passages'}"
    if policy.messaging.copy_check == "block":
        return Verdict("copy", False, f"The copy has {found} ({patterns})."), findings
    return Verdict(
        "copy", True, f"The copy has {found} ({patterns}), flagged but not blocked."
    ), findings
