"""The Parquet export of the consented training data: exact, consented only, and refused
when it is no longer fit to train on. No Spark here (see test_spark_als.py)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.services.external_training import (
    consented_interactions,
    export_interactions,
    usable_export,
)
from tactful.settings import Settings
from tactful.training.parquet import INTERACTIONS, ITEMS, METADATA_KEY, SUBJECTS, read_export
from tests import shop
from tests.clock import Clock
from tests.trained_shop import T0

WITHDRAW = {
    "choices": [
        {"purpose": "personalization.explicit", "status": "withdrawn"},
        {"purpose": "personalization.behavioral", "status": "withdrawn"},
    ]
}


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    shop.populate(svc)
    yield svc
    svc.close()


def test_the_export_reads_back_as_the_matrix_training_fits(
    service: Tactful, tmp_path: Path
) -> None:
    info = export_interactions(service, tmp_path / "export")
    back, read_info = read_export(tmp_path / "export")
    want = consented_interactions(service)
    assert read_info == info
    assert back.subject_ids.tolist() == want.subject_ids.tolist()
    assert (
        back.item_ids.tolist()
        == want.item_ids.tolist()
        == sorted(i["item_id"] for i in shop.items())
    )
    assert back.matrix.dtype == np.float32
    np.testing.assert_array_equal(back.matrix.toarray(), want.matrix.toarray())
    assert (info.subjects, info.items, info.interactions) == (
        len(want.subject_ids),
        want.n_items,
        want.matrix.nnz,
    )
    assert info.notice_version == service.notice_version
    assert info.created_at == T0
    # The same counts the single-machine trainer records for its model.
    als = service.train(["als"])[0]
    assert als.trained_on["subjects"] == info.subjects
    assert als.trained_on["interactions"] == info.interactions


def test_ids_are_stored_once_and_the_files_carry_their_metadata(
    service: Tactful, tmp_path: Path
) -> None:
    info = export_interactions(service, tmp_path / "export", "aggregate")
    rows = pq.read_table(tmp_path / "export" / INTERACTIONS)
    assert rows.column_names == ["subject", "item", "weight"]
    assert rows.num_rows == info.interactions
    subjects = pq.read_table(tmp_path / "export" / SUBJECTS)
    assert subjects.column("id").to_pylist() == sorted(subjects.column("id").to_pylist())
    for name in (INTERACTIONS, SUBJECTS, ITEMS):
        meta = json.loads(pq.read_schema(tmp_path / "export" / name).metadata[METADATA_KEY])
        assert meta == info.as_dict()
        assert meta["matrix"] == "aggregate"


def test_the_export_is_readable_by_its_owner_only(service: Tactful, tmp_path: Path) -> None:
    export_interactions(service, tmp_path / "export")
    assert stat.S_IMODE((tmp_path / "export").stat().st_mode) == 0o700
    for name in (INTERACTIONS, SUBJECTS, ITEMS):
        assert stat.S_IMODE((tmp_path / "export" / name).stat().st_mode) == 0o600


def test_each_export_is_written_to_the_audit_log(service: Tactful, tmp_path: Path) -> None:
    before = service.audit.entries(action="training.exported")
    info = export_interactions(service, tmp_path / "export")
    after = service.audit.entries(action="training.exported")
    assert len(after) == len(before) + 1
    detail = after[0].detail
    assert detail["directory"] == str((tmp_path / "export").resolve())
    assert detail["interactions"] == info.interactions
    assert detail["subjects"] == info.subjects
    assert detail["matrix"] == "personal"


def test_a_withdrawn_subject_is_not_in_the_export(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    export_interactions(service, tmp_path / "before")
    before, _ = read_export(tmp_path / "before")
    assert "crowd-3" in before.subject_ids.tolist()
    clock.advance(60)
    service.record_consents("crowd-3", WITHDRAW)
    export_interactions(service, tmp_path / "after")
    after, _ = read_export(tmp_path / "after")
    assert "crowd-3" not in after.subject_ids.tolist()
    assert after.subject_ids.tolist() == [s for s in before.subject_ids.tolist() if s != "crowd-3"]
    # Nobody else lost a signal.
    keep = before.subject_ids != "crowd-3"
    np.testing.assert_array_equal(after.matrix.toarray(), before.matrix.toarray()[keep])
    # dan is a minor and bob never consented: neither is ever exported.
    assert {"dan", "bob"}.isdisjoint(after.subject_ids.tolist())


def test_an_export_leaves_out_subjects_whose_consent_changed_since(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    export_interactions(service, tmp_path / "export")
    export, stale = usable_export(service, tmp_path / "export")
    assert stale.tolist() == []
    clock.advance(60)
    service.record_consents("crowd-3", WITHDRAW)
    service.record_consents("alice", {"choices": shop.FULL})  # a change, even the same choice
    export, stale = usable_export(service, tmp_path / "export")
    assert sorted(export.subject_ids[stale].tolist()) == ["alice", "crowd-3"]


def test_an_old_export_or_one_under_an_earlier_notice_is_refused(
    service: Tactful, clock: Clock, tmp_path: Path
) -> None:
    export_interactions(service, tmp_path / "export")
    with pytest.raises(InvalidInput, match="aggregate one"):
        usable_export(service, tmp_path / "export", "aggregate")
    clock.advance(hours=25)
    with pytest.raises(InvalidInput, match="24 hours"):
        usable_export(service, tmp_path / "export")


def test_an_export_is_never_written_over_another(service: Tactful, tmp_path: Path) -> None:
    export_interactions(service, tmp_path / "export")
    with pytest.raises(InvalidInput, match="not an empty directory"):
        export_interactions(service, tmp_path / "export")
    (tmp_path / "empty").mkdir()
    export_interactions(service, tmp_path / "empty")
    assert read_export(tmp_path / "empty")[0].matrix.nnz > 0
    assert not [p.name for p in tmp_path.iterdir() if ".partial-" in p.name]


@pytest.fixture
def exported(service: Tactful, tmp_path: Path) -> Path:
    export_interactions(service, tmp_path / "export")
    return tmp_path / "export"


def _rewrite(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def test_a_missing_or_unreadable_file_is_invalid_input(exported: Path) -> None:
    (exported / ITEMS).write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match="Cannot read"):
        read_export(exported)
    (exported / ITEMS).unlink()
    with pytest.raises(InvalidInput, match=r"has no items\.parquet"):
        read_export(exported)
    with pytest.raises(InvalidInput, match="not a directory"):
        read_export(exported / "nowhere")


def test_wrong_columns_or_metadata_are_invalid_input(exported: Path) -> None:
    table = pq.read_table(exported / INTERACTIONS)
    _rewrite(exported / INTERACTIONS, table.replace_schema_metadata(None))
    with pytest.raises(InvalidInput, match="not a Tactful interactions export"):
        read_export(exported)
    _rewrite(
        exported / INTERACTIONS, table.cast(table.schema.set(2, pa.field("weight", pa.float64())))
    )
    with pytest.raises(InvalidInput, match="must have the columns"):
        read_export(exported)


def test_an_index_outside_the_id_lists_is_invalid_input(exported: Path) -> None:
    table = pq.read_table(exported / INTERACTIONS)
    items = np.asarray(table.column("item").to_numpy()).copy()
    items[0] = 10_000
    bad = table.set_column(1, table.schema.field("item"), pa.array(items))
    _rewrite(exported / INTERACTIONS, bad)
    with pytest.raises(InvalidInput, match="outside its id lists"):
        read_export(exported)


def test_id_lists_from_another_export_are_invalid_input(
    service: Tactful, clock: Clock, exported: Path, tmp_path: Path
) -> None:
    clock.advance(60)
    export_interactions(service, tmp_path / "other")
    os.replace(tmp_path / "other" / SUBJECTS, exported / SUBJECTS)
    with pytest.raises(InvalidInput, match="belongs to another export"):
        read_export(exported)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TACTFUL_DATA_DIR": str(settings.data_dir),
        "TACTFUL_DATABASE_URL": settings.resolved_database_url,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "tactful", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_writes_the_export(
    service: Tactful, settings: Settings, tmp_path: Path
) -> None:
    done = _cli(settings, "export-interactions", "--parquet", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    back, info = read_export(tmp_path / "cli")
    assert said["interactions"] == info.interactions == back.matrix.nnz > 0
    assert said["matrix"] == "personal"
    again = _cli(settings, "export-interactions", "--parquet", str(tmp_path / "cli"))
    assert again.returncode == 2
    assert "not an empty directory" in again.stderr
    assert "Traceback" not in again.stderr


def test_spark_options_are_checked_before_anything_runs(settings: Settings) -> None:
    done = _cli(settings, "train", "--engine", "spark", "--tune", "--model", "ease")
    assert done.returncode == 2
    assert "not available on Spark" in done.stderr
    assert "als model only" in done.stderr
    done = _cli(settings, "train", "--parquet", "somewhere")
    assert done.returncode == 2
    assert "only with --engine spark" in done.stderr
    done = _cli(settings, "train", "--engine", "spark", "--parquet", "/nonexistent/export")
    assert done.returncode == 2
    assert "not a directory holding an interactions export" in done.stderr
    assert "Traceback" not in done.stderr
