"""How a rights request is shown: to the person, to the privacy officer, on the status page.

Never the subject id: an erased person's request outlives them, and its status page is
reachable by its id alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def request_view(request: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    completed = request.get("completed_at")
    due = request["due_at"]
    return {
        "request_id": str(request["request_id"]),
        "kind": request["kind"],
        "status": request["status"],
        "requested_via": request["requested_via"],
        "received_at": request["received_at"].isoformat(),
        "due_at": due.isoformat(),
        "completed_at": completed.isoformat() if completed else None,
        "overdue": completed is None and due < now,
        "steps": list(request["steps"]),
        "detail": dict(request["detail"]),
        "status_url": f"/v1/rights-requests/{request['request_id']}/status",
    }
