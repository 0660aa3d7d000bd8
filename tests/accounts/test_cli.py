"""The account commands, run as an operator would (CSV and JSON Lines files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import accounts as stored
from tests import shop
from tests.accounts import data
from tests.test_cli import tactful


@pytest.mark.slow
def test_import_train_recommend_erase(settings: Settings, tmp_path: Path) -> None:
    svc = Tactful(settings)
    shop.populate(svc)
    svc.close()
    accounts = tmp_path / "accounts.csv"
    lines = ["account_id,industry,size_band,country"]
    lines += [
        f"{r['account_id']},{r.get('industry', '')},{r.get('size_band', '')},{r.get('country', '')}"
        for r in data.accounts()
    ]
    accounts.write_text("\n".join(lines) + "\n")
    out = tactful(settings, "import", "accounts", str(accounts))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["created"] == len(data.accounts())

    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(r) + "\n" for r in data.events()))
    out = tactful(settings, "import", "account-events", str(events))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stored"] == len(data.events())

    out = tactful(settings, "train")
    assert out.returncode == 0, out.stderr
    assert "account-itemknn" in out.stdout
    assert "account-segments" in out.stdout

    out = tactful(settings, "recommend-account", "new-runner", "--surface", "b2b-cart", "--k", "3")
    assert out.returncode == 0, out.stderr
    assert "Popular with organisations like yours (industry retail, 10-49 people)." in out.stdout
    assert "no person's data used" in out.stdout
    record = json.loads(tactful(settings, "recommend-account", "shoe-shop", "--json").stdout)
    assert record["basis"] == "history"
    assert record["surface"] == "b2b-home"

    refused = tactful(settings, "recommend-account", "shoe-shop", "--surface", "home")
    assert refused.returncode == 2
    assert "not an account surface" in refused.stderr
    person = tactful(settings, "recommend", "alice", "--surface", "b2b-home")
    assert person.returncode == 2
    assert "is an account surface" in person.stderr

    out = tactful(settings, "erase-account", "trail-co", "--yes")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows_deleted"]["accounts"] == 1


def test_a_file_with_a_persons_field_stores_nothing(settings: Settings, tmp_path: Path) -> None:
    rows = tmp_path / "accounts.jsonl"
    rows.write_text(
        json.dumps({"account_id": "a-1", "industry": "retail"})
        + "\n"
        + json.dumps({"account_id": "a-2", "industry": "retail", "buyer_name": "Jane Roe"})
        + "\n"
    )
    out = tactful(settings, "import", "accounts", str(rows))
    assert out.returncode == 2
    assert "person's data" in out.stderr
    assert "row 1: buyer_name" in out.stderr
    svc = Tactful(settings)
    try:
        with svc.store.reading() as conn:
            assert stored.counts(conn)["accounts"] == 0
    finally:
        svc.close()
