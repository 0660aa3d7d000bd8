"""`tactful protections`, run as an operator would at a person's request: show, exclude from
a category, set and clear the vulnerability flag; bad input is a readable error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from tactful.cli import app
from tactful.service import Tactful
from tactful.settings import Settings
from tactful.storage import tables as t


@pytest.fixture
def people(settings: Settings) -> Iterator[Tactful]:
    service = Tactful(settings)
    service.ingest_subjects([{"subject_id": "erin"}, {"subject_id": "bob"}])
    yield service
    service.close()


def _run(settings: Settings, *args: str) -> Result:
    env = {
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "TACTFUL_API_KEY": "test-operator-key-0123456789abcdef",
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, list(args), env=env)


def _audit(service: Tactful) -> list[tuple[str, str]]:
    with service.store.reading() as conn:
        rows = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.action)
            .where(
                t.audit_log.c.action.like("protection.%")
                | (t.audit_log.c.action == "personal_data.read")
            )
            .order_by(t.audit_log.c.seq)
        )
        return [(r.actor, r.action) for r in rows]


def test_an_operator_excludes_flags_and_shows(settings: Settings, people: Tactful) -> None:
    added = _run(settings, "protections", "self-exclude", "erin", "gambling", "--days", "90")
    assert added.exit_code == 0, added.output
    assert "added" in added.output
    # The title, however the table wraps it (the console width is fixed at import).
    assert "(Gambling" in added.output

    forever = _run(settings, "protections", "self-exclude", "erin", "alcohol")
    assert forever.exit_code == 0, forever.output
    assert "no end" in forever.output

    on = _run(settings, "protections", "vulnerable", "erin", "--on")
    assert on.exit_code == 0, on.output
    assert "vulnerable since" in on.output

    shown = _run(settings, "protections", "show", "erin", "--json")
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)
    assert [(x["category"], x["status"]) for x in view["self_exclusions"]] == [
        ("alcohol", "in_force"),
        ("gambling", "in_force"),
    ]
    assert view["vulnerable"] is True
    with people.store.reading() as conn:
        excluded = people.store.exclusions(conn, "erin", people.clock())
    assert excluded["self_exclusion"] == {"gambling", "alcohol"}

    off = _run(settings, "protections", "vulnerable", "erin", "--off")
    assert off.exit_code == 0, off.output
    assert "not flagged vulnerable" in off.output
    assert _audit(people) == [
        ("cli", "protection.added"),
        ("cli", "protection.added"),
        ("cli", "protection.added"),
        ("cli", "personal_data.read"),
        ("cli", "protection.lifted"),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("self-exclude", "erin", "tobacco"), "gambling, alcohol"),
        (("self-exclude", "erin", "gambling", "--days", "0"), "--days"),
        (("self-exclude", "erin", "gambling", "--days", "many"), "--days"),
        (("self-exclude", "nobody", "gambling"), "No subject"),
        (("vulnerable", "erin"), "--on"),
        (("show", "nobody"), "No subject"),
        (("show", "../etc"), "Not a valid subject id"),
    ],
)
def test_bad_input_is_a_readable_error_and_changes_nothing(
    settings: Settings, people: Tactful, args: tuple[str, ...], says: str
) -> None:
    run = _run(settings, "protections", *args)
    assert run.exit_code == 2, run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)
    assert says in run.output
    assert "Traceback" not in run.output
    with people.store.reading() as conn:
        assert conn.execute(select(t.protections)).first() is None
    assert _audit(people) == []
