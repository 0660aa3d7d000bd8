"""What each process caches, and what it may not: two services on one store stand for two
workers. A consent withdrawal and a key revocation through one are honoured by the other at
once; a model published by one is served by the other once its pointer is CACHE_SECONDS
old, and the older version leaves memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tactful.errors import Unauthorized
from tactful.service import CACHE_SECONDS, POPULARITY, Tactful
from tactful.settings import Settings
from tests import shop


@pytest.fixture
def pair(settings: Settings) -> Iterator[tuple[Tactful, Tactful]]:
    here = Tactful(settings)
    shop.populate(here)
    here.train()
    elsewhere = Tactful(settings)
    yield here, elsewhere
    here.close()
    elsewhere.close()


def test_a_withdrawal_elsewhere_binds_the_next_decision_here(
    pair: tuple[Tactful, Tactful],
) -> None:
    here, elsewhere = pair
    assert here.recommend("alice")["level"] == "full"  # every cache here is warm
    elsewhere.record_consents(
        "alice",
        {
            "choices": [
                {"purpose": "personalization.explicit", "status": "withdrawn"},
                {"purpose": "personalization.behavioral", "status": "withdrawn"},
            ]
        },
    )
    record = here.recommend("alice")
    assert record["level"] == "off"
    assert record["personalized"] is False
    assert not any(record["signals_used"].values())
    elsewhere.record_consents("alice", {"choices": shop.BASIC})
    assert here.recommend("alice")["level"] == "basic"


def test_a_key_revoked_elsewhere_is_refused_here_at_once(
    pair: tuple[Tactful, Tactful],
) -> None:
    here, elsewhere = pair
    assert here.keys.cache_seconds == 0
    text, record = elsewhere.keys.create("frontend", ["recommend"])
    assert here.keys.authenticate(text).name == "frontend"
    elsewhere.keys.revoke(record["key_id"])
    with pytest.raises(Unauthorized):
        here.keys.authenticate(text)


def test_the_key_cache_is_a_setting(settings: Settings) -> None:
    cached = Tactful(settings.model_copy(update={"api_key_cache_seconds": 5.0}))
    try:
        assert cached.keys.cache_seconds == 5.0
    finally:
        cached.close()


def test_a_model_published_elsewhere_is_served_here_within_the_bound(
    pair: tuple[Tactful, Tactful], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, elsewhere = pair
    first = here.recommend("alice")["model"]["version"]
    [fresh] = [v.version for v in elsewhere.train([here.settings.personal_model])]
    # Here, the pointer is trusted until CACHE_SECONDS have passed: let them pass.
    later = time.monotonic() + CACHE_SECONDS + 0.01
    monkeypatch.setattr("tactful.service.time", SimpleNamespace(monotonic=lambda: later))
    assert here.recommend("alice")["model"]["version"] == fresh != first
    # The older version is no longer held: one version per model name in memory.
    names = [h.name for h in here._models.values()]
    assert sorted(names) == sorted({here.settings.personal_model, POPULARITY})
    assert first not in here._models
    assert first not in here._masks
