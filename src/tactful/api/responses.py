"""JSON responses encoded with orjson.

A decision record is a nested dict of a few kilobytes; encoding it with orjson, and
returning it as a ready response so that FastAPI does not walk it through
`jsonable_encoder` first, is most of what an HTTP recommendation costs beyond the decision.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
