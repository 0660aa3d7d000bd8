"""Schemathesis over the account operations, on a shop that has accounts and account models
(the suite-wide fuzz in tests/test_api_fuzz.py has neither, so it mostly reaches 404s).
Every answer is within the documented contract and none is a server error."""

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
from tests.accounts import data

KEY = "test-operator-key-0123456789abcdef"
EXAMPLES = int(os.environ.get("TACTFUL_FUZZ_EXAMPLES", "20")) * 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_DIR = Path(tempfile.mkdtemp(prefix="tactful-accounts-fuzz-"))
_SETTINGS = Settings(
    data_dir=_DIR,
    api_key=KEY,  # type: ignore[arg-type]
    max_batch_rows=200,
    rate_limit_per_minute=0,
)
APP = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(
    path_regex=r"^/v1/(accounts|account-decisions)"
)


@pytest.fixture(scope="module")
def shop_with_accounts() -> Iterator[Tactful]:
    service = Tactful(_SETTINGS)
    shop.populate(service)
    data.populate(service)
    service.train()
    APP.state.tactful = service
    yield service
    APP.state.tactful = None
    service.close()
    shutil.rmtree(_DIR, ignore_errors=True)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_account_operations_answer_within_their_contract(
    case: Any, shop_with_accounts: Tactful
) -> None:
    # Half the time a known account, so that decisions are made, not only 404s.
    known = case.method == "GET" and "account_id" in (case.path_parameters or {})
    if known and len(str(case.path_parameters["account_id"])) % 2 == 0:
        case.path_parameters["account_id"] = "shoe-shop"
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=CHECKS)
