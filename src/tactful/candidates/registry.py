"""Every recommender by name: build one from a name and a JSON config, or load a saved one."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from tactful.candidates.als import ALSRecommender
from tactful.candidates.base import ComponentConfig, Recommender
from tactful.candidates.bpr import BPRRecommender
from tactful.candidates.ease import EASERecommender
from tactful.candidates.itemknn import ItemKNNRecommender
from tactful.candidates.popularity import PopularityRecommender
from tactful.errors import FieldError, InvalidInput, NotFound

RECOMMENDERS: Mapping[str, type[Recommender[Any]]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            PopularityRecommender,
            ItemKNNRecommender,
            EASERecommender,
            ALSRecommender,
            BPRRecommender,
        )
    }
)


def build(name: str, config: Mapping[str, Any] | None = None) -> Recommender[Any]:
    """An untrained recommender; an unknown name or a bad config is `InvalidInput`."""
    cls = _recommender_class(name)
    return cls(_validate_config(cls, config))


def load_model(directory: Path) -> Recommender[Any]:
    """The model saved in `directory` (`config.json` + `arrays.npz`), whatever its kind."""
    config_file = directory / "config.json"
    if not config_file.is_file() or not (directory / "arrays.npz").is_file():
        raise NotFound(f"No saved model in {directory}.")
    try:
        meta = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{config_file} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise InvalidInput(
            f"{config_file} does not name a recommender.",
            [FieldError("name", "A recommender name is required.")],
        )
    cls = _recommender_class(meta["name"])
    # Validate here so a bad file gives field errors rather than a pydantic exception.
    _validate_config(cls, meta.get("config", "missing"))
    try:
        return cls.load(directory)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInput(f"The model arrays in {directory} cannot be read: {exc}") from exc


def _recommender_class(name: str) -> type[Recommender[Any]]:
    try:
        return RECOMMENDERS[name]
    except KeyError:
        known = ", ".join(sorted(RECOMMENDERS))
        raise InvalidInput(
            f"Unknown recommender {name!r}.",
            [FieldError("name", f"Must be one of: {known}.")],
        ) from None


def _validate_config(cls: type[Recommender[Any]], config: object) -> ComponentConfig:
    detail = f"Invalid configuration for the {cls.name} recommender."
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise InvalidInput(detail, [FieldError("config", "Must be an object.")])
    try:
        return cls.config_type.model_validate(dict(config))
    except ValidationError as exc:
        errors = [
            FieldError(".".join(["config", *(str(part) for part in err["loc"])]), err["msg"])
            for err in exc.errors()
        ]
        raise InvalidInput(detail, errors) from exc
