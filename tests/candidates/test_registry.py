"""Building recommenders by name and loading saved models, including what goes wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tactful.candidates.base import Interactions
from tactful.candidates.ease import EASERecommender
from tactful.candidates.registry import build, load_model
from tactful.errors import InvalidInput, NotFound


def test_build_applies_the_config() -> None:
    model = build("ease", {"l2": 12.5, "binarize": False})
    assert isinstance(model, EASERecommender)
    assert model.config.l2 == 12.5
    assert model.config.binarize is False
    assert build("ease", None).config == build("ease", {}).config


def test_build_rejects_a_config_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput) as caught:
        build("ease", ["l2"])  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == ["config"]


def test_build_rejects_a_wrongly_typed_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        build("popularity", {"weighting": "median"})
    assert [e.field for e in caught.value.errors] == ["config.weighting"]


def test_load_model_of_an_empty_directory_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_model(tmp_path)


def _saved(tmp_path: Path, interactions: Interactions) -> Path:
    build("itemknn", {"neighbors": 4}).fit(interactions).save(tmp_path)
    return tmp_path


def test_load_model_rejects_an_unknown_name(tmp_path: Path, interactions: Interactions) -> None:
    directory = _saved(tmp_path, interactions)
    meta = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**meta, "name": "mystery"}))
    with pytest.raises(InvalidInput) as caught:
        load_model(directory)
    assert [e.field for e in caught.value.errors] == ["name"]


def test_load_model_rejects_a_bad_config(tmp_path: Path, interactions: Interactions) -> None:
    directory = _saved(tmp_path, interactions)
    meta = json.loads((directory / "config.json").read_text())
    meta["config"]["neighbors"] = -3
    (directory / "config.json").write_text(json.dumps(meta))
    with pytest.raises(InvalidInput) as caught:
        load_model(directory)
    assert [e.field for e in caught.value.errors] == ["config.neighbors"]


def test_load_model_rejects_malformed_arrays(tmp_path: Path, interactions: Interactions) -> None:
    directory = _saved(tmp_path, interactions)
    with np.load(directory / "arrays.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["sim_indices"] = arrays["sim_indices"] + 1000  # points outside the catalog
    np.savez(directory / "arrays.npz", allow_pickle=False, **arrays)
    with pytest.raises(InvalidInput):
        load_model(directory)


def test_load_model_rejects_a_corrupt_archive(tmp_path: Path, interactions: Interactions) -> None:
    directory = _saved(tmp_path, interactions)
    (directory / "arrays.npz").write_bytes(b"not a zip file")
    with pytest.raises(InvalidInput):
        load_model(directory)
