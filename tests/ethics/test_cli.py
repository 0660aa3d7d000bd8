"""`tactful report ethics`, run as an officer would: the page written where asked (or in the
data directory), the figures as JSON, bad input refused with exit 2 and nothing made."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.test_cli import tactful

pytestmark = pytest.mark.slow


@pytest.fixture
def store(settings: Settings) -> Iterator[Tactful]:
    service = Tactful(settings)
    service.ingest_items(shop.items())
    service.ingest_subjects(shop.subjects())
    service.record_consents("alice", {"choices": shop.FULL})
    yield service
    service.close()


def _made(service: Tactful) -> list[tuple[str, str, int]]:
    return [
        (e.actor, e.detail["format"], e.detail["weeks"])
        for e in service.audit.entries(action="ethics_report.made")
    ]


def test_the_page_goes_to_the_data_directory_by_default(settings: Settings, store: Tactful) -> None:
    run = tactful(settings, "report", "ethics", "--weeks", "3")
    assert run.returncode == 0, run.stderr
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    written = settings.data_dir / "reports" / f"ethics-{day}.html"
    assert f"wrote {written}" in " ".join(run.stderr.split())
    page = written.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "3 weeks" in page
    assert "alice" not in page
    assert _made(store) == [("cli", "html", 3)]


def test_the_figures_as_json_on_standard_output_or_in_a_file(
    settings: Settings, store: Tactful, tmp_path: Path
) -> None:
    run = tactful(settings, "report", "ethics", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["period"]["weeks"] == 26
    assert data["consent"]["purposes"][0]["latest"]["granted"] == 1

    out = tmp_path / "deep" / "er.json"
    run = tactful(settings, "report", "ethics", "--json", "--weeks", "52", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text("utf-8"))["period"]["weeks"] == 52
    assert _made(store) == [("cli", "json", 52), ("cli", "json", 26)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--weeks", "0"], "weeks: must be a whole number of weeks from 1 to 260"),
        (["--weeks", "261"], "weeks: must be a whole number of weeks from 1 to 260"),
        (["--weeks", "many"], "Invalid value for '--weeks'"),
        (["--out", "."], "is a directory"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_made(
    settings: Settings, store: Tactful, args: list[str], says: str
) -> None:
    run = tactful(settings, "report", "ethics", *args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert says in " ".join(run.stderr.split())
    assert _made(store) == []
