"""`tactful export`, `tactful rectify` and `tactful forget-events`, run as an operator would,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from tactful.service import Tactful
from tactful.services.export import export_schema
from tactful.services.rectification import get_profile, history_page
from tactful.settings import Settings
from tests import shop
from tests.rights.seed import Seeded, seed_person
from tests.test_cli import tactful

pytestmark = pytest.mark.slow


@pytest.fixture
def amara(settings: Settings) -> Iterator[Seeded]:
    service = Tactful(settings)
    try:
        shop.populate(service)
        service.train()
        yield seed_person(service, "amara", tag="amara")
    finally:
        service.close()


def _service(settings: Settings) -> Tactful:
    return Tactful(settings)


def _profile(settings: Settings, subject_id: str) -> dict[str, Any]:
    service = _service(settings)
    try:
        return get_profile(service, subject_id)
    finally:
        service.close()


def _readable_failure(result: Any, *phrases: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_export_writes_json_or_a_page(settings: Settings, amara: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "amara.json"
    done = tactful(settings, "export", "amara", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote the export" in done.stderr
    # A person's data: readable by its owner alone.
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    export = json.loads(out.read_text("utf-8"))
    validator = jsonschema_rs.Draft202012Validator(export_schema(), validate_formats=True)
    assert [e.message for e in validator.iter_errors(export)] == []
    assert {e["event_id"] for e in export["events"]} == amara.event_ids
    assert export["profile"]["identity"]["email"] == amara.email

    page = tactful(settings, "export", "amara", "--format", "html")
    assert page.returncode == 0, page.stderr
    assert page.stdout.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;" in page.stdout
    assert "<script" not in page.stdout.lower()

    service = _service(settings)
    try:
        listed = service.rights_requests(subject_id="amara", kind="access")["requests"]
    finally:
        service.close()
    assert [r["requested_via"] for r in listed][:2] == ["cli", "cli"]

    _readable_failure(tactful(settings, "export", "nobody"), "No subject")
    _readable_failure(tactful(settings, "export", "amara", "--format", "pdf"), "format")
    missing_dir = tmp_path / "no" / "such" / "dir.json"
    _readable_failure(tactful(settings, "export", "amara", "-o", str(missing_dir)), "Cannot write")
    nobody = tmp_path / "nobody.json"
    _readable_failure(tactful(settings, "export", "nobody", "-o", str(nobody)), "No subject")
    assert not nobody.exists()


def test_rectify_sets_and_clears_fields_and_refuses_bad_ones_whole(
    settings: Settings, amara: Seeded
) -> None:
    done = tactful(
        settings,
        "rectify",
        "amara",
        "--set",
        "email=amara.new@example.com",
        "--set",
        "age_band=under_18",
        "--clear",
        "phone",
    )
    assert done.returncode == 0, done.stderr
    assert "amara.new@example.com" in done.stdout
    profile = _profile(settings, "amara")
    assert profile["identity"] == {
        "email": "amara.new@example.com",
        "name": amara.name,
        "phone": None,
    }
    assert profile["attributes"]["age_band"] == "under_18"

    for args, phrase in [
        (["--set", "email=nope", "--set", "region=west"], "email"),
        (["--set", "shoe_size=9"], "shoe_size"),
        (["--set", "region"], "not field=value"),
        (["--set", "region=a", "--clear", "region"], "both set and cleared"),
        ([], "--set"),
    ]:
        _readable_failure(tactful(settings, "rectify", "amara", *args), phrase)
    assert _profile(settings, "amara") == profile
    _readable_failure(tactful(settings, "rectify", "nobody", "--set", "region=x"), "No subject")


def test_forget_events_removes_all_named_or_none(settings: Settings, amara: Seeded) -> None:
    ids = sorted(amara.event_ids)
    carol = [e["event_id"] for e in _all(settings, "carol")]

    refused = tactful(settings, "forget-events", "amara", str(ids[0]), str(carol[0]))
    _readable_failure(refused, "nothing was removed")
    _readable_failure(tactful(settings, "forget-events", "amara", "12x"), "12x")
    _readable_failure(tactful(settings, "forget-events", "amara"), "event ids or --item")
    _readable_failure(
        tactful(settings, "forget-events", "amara", str(ids[0]), "--item", "running-0"),
        "not both",
    )
    assert len(_all(settings, "amara")) == len(ids)

    done = tactful(settings, "forget-events", "amara", str(ids[0]), str(ids[1]))
    assert done.returncode == 0, done.stderr
    assert "removed 2 events" in done.stdout
    assert {e["event_id"] for e in _all(settings, "amara")} == set(ids[2:])

    by_item = tactful(settings, "forget-events", "amara", "--item", "running-2")
    assert by_item.returncode == 0, by_item.stderr
    assert all(e["item_id"] != "running-2" for e in _all(settings, "amara"))


def _all(settings: Settings, subject_id: str) -> list[dict[str, Any]]:
    service = _service(settings)
    try:
        events: list[dict[str, Any]] = history_page(service, subject_id, limit=200)["events"]
        return events
    finally:
        service.close()
