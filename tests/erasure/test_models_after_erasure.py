"""After erasure, the served model is the one a fresh training without the person gives.

The erased store retrains its current models with their own configs (seeds included); a
second, independent store that never held the person trains from scratch with the same
configs. Their learnt arrays must agree to floating-point tolerance, and differ from the
model that was served before the erasure (so the comparison can fail).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tactful.candidates.registry import load_model
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.erasure.helpers import SUBJECT, seed_subject

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Ticking:
    """A clock a second later at each reading: model versions made in one test are ordered."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _served(service: Tactful, name: str) -> tuple[str, dict[str, npt.NDArray[Any]]]:
    with service.store.reading() as conn:
        version = service.store.latest_model(conn, name)
    assert version is not None
    model = load_model(service.settings.models_dir / version.path)
    assert model.item_ids is not None
    return version.version, {"item_ids": model.item_ids, **model.arrays()}


@pytest.mark.slow
@pytest.mark.parametrize("personal", ["ease", "als"])
def test_served_model_after_erasure_equals_a_model_trained_without_the_subject(
    tmp_path: Path, database_url: str, personal: str
) -> None:
    service = Tactful(
        Settings(
            data_dir=tmp_path / "live",
            database_url=database_url,
            personal_model=personal,
        ),
        clock=Ticking(),
    )
    reference = Tactful(
        Settings(data_dir=tmp_path / "reference", personal_model=personal), clock=Ticking()
    )
    try:
        # ALS's default regularization all but zeroes the factors of a shop this small.
        configs = {"als": {"factors": 8, "regularization": 0.05}} if personal == "als" else {}
        seed_subject(service, {"popularity": {}, personal: {}, **configs})
        served_before = {n: _served(service, n) for n in ("popularity", personal)}

        view = service.request_erasure(SUBJECT, wait=True)
        assert view["status"] == "completed"

        shop.populate(reference)  # the same shop, without the erased person
        with service.store.reading() as conn:
            configs = {
                n: mv.config
                for n in ("popularity", personal)
                if (mv := service.store.latest_model(conn, n)) is not None
            }
        reference.train(list(configs), configs)

        for name in ("popularity", personal):
            version_after, after = _served(service, name)
            version_before, before = served_before[name]
            _, scratch = _served(reference, name)
            assert version_after != version_before
            assert after.keys() == scratch.keys()
            np.testing.assert_array_equal(after["item_ids"], scratch["item_ids"])
            for key in after.keys() - {"item_ids"}:
                np.testing.assert_allclose(after[key], scratch[key], rtol=1e-5, atol=1e-6)
            # The person's purchases were in the old model: it must differ.
            assert any(
                not np.allclose(before[k], after[k], rtol=1e-5, atol=1e-6)
                for k in after.keys() - {"item_ids"}
            ), name
    finally:
        service.close()
        reference.close()
