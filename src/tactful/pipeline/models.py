"""A trained recommender together with the version it was saved under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tactful.candidates.base import Recommender


@dataclass(frozen=True)
class ModelHandle:
    name: str
    version: str
    recommender: Recommender[Any]
    item_ids: tuple[str, ...]
    index: Mapping[str, int] = field(repr=False)

    @classmethod
    def of(cls, name: str, version: str, recommender: Recommender[Any]) -> ModelHandle:
        ids = tuple(str(i) for i in recommender._require_trained())
        return cls(name, version, recommender, ids, {item: n for n, item in enumerate(ids)})
