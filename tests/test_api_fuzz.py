"""Schemathesis against the served OpenAPI document, over every operation.

Generated requests (valid and invalid) go to the real app in-process, authenticated as the
operator or as a person with a subject token. Every response must be free of server errors
and match the document: a declared status, a declared content type, a body of the declared
shape. The number of examples per operation is bounded so that `make test` stays quick.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tactful.api.app import create_app
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop

KEY = "test-operator-key-0123456789abcdef"
EXAMPLES = int(os.environ.get("TACTFUL_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Shop:
    def __init__(self, service: Tactful) -> None:
        self.service = service

    def token(self) -> str:
        """A token for alice, bringing her back if an erasure example took her away."""
        if self.service.store.get_subject(self.service.store.engine.connect(), "alice") is None:
            self.service.readmit("alice")
            self.service.ingest_subjects([{"subject_id": "alice", "age_band": "25-34"}])
            self.service.record_consents("alice", {"choices": shop.FULL})
        token: str = self.service.issue_token("alice")["token"]
        return token


# The document is read from an app made at import (parametrize needs it at collection);
# the store behind it is set by the fixture before any request is made.
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="tactful-fuzz-"))
_SETTINGS = Settings(
    data_dir=_TEMPLATE_DIR,
    api_key=KEY,  # type: ignore[arg-type]
    max_batch_rows=200,
    rate_limit_per_minute=0,
    subject_rate_limit_per_minute=0,
)
APP = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Shop]:
    service = Tactful(_SETTINGS)
    shop.populate(service)
    service.train()
    # A campaign, so that messaging decisions are fuzzed past "unknown campaign".
    service.messaging.add_campaign("autumn", "Autumn running", "running", False)
    APP.state.tactful = service
    yield Shop(service)
    APP.state.tactful = None
    service.close()
    shutil.rmtree(_TEMPLATE_DIR, ignore_errors=True)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_within_its_documented_contract(case: Any, fuzzed: Shop) -> None:
    state = fuzzed
    if case.path == "/v1/me" or case.path.startswith("/v1/me/"):
        headers = {"Authorization": f"Bearer {state.token()}"}
    else:
        headers = {"X-API-Key": KEY}
    case.call_and_validate(headers=headers, checks=CHECKS)
