"""Tests of the MovieLens readers.

The real datasets are read from the shared folder, never copied into the repository
(their licences forbid it). Parsing edge cases use small fictional files in tmp_path,
written in the same formats with made-up titles.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tactful.datasets.movielens import (
    ML_100K,
    ML_LATEST_SMALL,
    MovieLensData,
    default_datasets_dir,
    detect,
    read_movielens,
)
from tactful.domain.events import EventType
from tactful.domain.subjects import AgeBand, SubjectAttributes
from tactful.errors import InvalidInput

# --- locating the real data -----------------------------------------------------------------


def _shared_dataset(name: str) -> Path:
    """The folder of a real dataset; skipped when absent, except on CI where it must exist."""
    candidates: list[Path] = []
    with contextlib.suppress(InvalidInput):
        candidates.append(default_datasets_dir())
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "datasets")
    for base in candidates:
        if (base / name).is_dir():
            return base / name
    tried = ", ".join(str(base) for base in candidates)
    if os.environ.get("CI") == "true":
        pytest.fail(f"dataset {name} not found (looked in {tried})")
    pytest.skip(f"dataset {name} not found (looked in {tried})")


@pytest.fixture(scope="module")
def ml100k_dir() -> Path:
    return _shared_dataset(ML_100K)


@pytest.fixture(scope="module")
def latest_dir() -> Path:
    return _shared_dataset(ML_LATEST_SMALL)


@pytest.fixture(scope="module")
def ml100k(ml100k_dir: Path) -> MovieLensData:
    return read_movielens(ml100k_dir)


@pytest.fixture(scope="module")
def latest(latest_dir: Path) -> MovieLensData:
    return read_movielens(latest_dir)


# --- ml-100k, real data ---------------------------------------------------------------------


def test_ml100k_counts(ml100k: MovieLensData) -> None:
    assert ml100k.name == ML_100K
    assert len(ml100k.subjects) == 943
    assert len(ml100k.items) == 1682
    assert len(ml100k.events) == 100_000
    assert len({s.subject_id for s in ml100k.subjects}) == 943
    assert len({i.item_id for i in ml100k.items}) == 1682


def test_ml100k_subjects(ml100k: MovieLensData) -> None:
    genders = Counter(s.attributes.gender for s in ml100k.subjects)
    assert genders == {"female": 273, "male": 670}
    assert all(s.subject_id.startswith("ml-u") for s in ml100k.subjects)
    assert all(s.attributes.age_band is not None for s in ml100k.subjects)
    assert all(s.attributes.occupation for s in ml100k.subjects)
    # Zip codes are not imported (data minimisation).
    assert all(s.attributes.region is None for s in ml100k.subjects)


def test_ml100k_events(ml100k: MovieLensData) -> None:
    assert {e.event_type for e in ml100k.events} == {EventType.RATING}
    assert {e.value for e in ml100k.events} == {1.0, 2.0, 3.0, 4.0, 5.0}
    item_ids = {i.item_id for i in ml100k.items}
    subject_ids = {s.subject_id for s in ml100k.subjects}
    assert all(e.item_id in item_ids and e.subject_id in subject_ids for e in ml100k.events)
    per_subject = Counter(e.subject_id for e in ml100k.events)
    assert set(per_subject) == subject_ids
    assert min(per_subject.values()) >= 20


def test_ml100k_timestamps(ml100k: MovieLensData) -> None:
    times = [e.occurred_at for e in ml100k.events]
    assert all(t.tzinfo is UTC for t in times)
    assert min(times) >= datetime(1997, 9, 1, tzinfo=UTC)
    assert max(times) < datetime(1998, 5, 1, tzinfo=UTC)


def test_ml100k_items(ml100k: MovieLensData) -> None:
    titles = {i.title for i in ml100k.items}
    assert "Misérables, Les (1995)" in titles  # latin-1 in u.item
    assert all(i.provider == "movielens" and not i.sensitive for i in ml100k.items)
    assert all(i.item_id.startswith("ml-") for i in ml100k.items)
    for item in ml100k.items:
        assert item.category == (item.tags[0] if item.tags else "unknown")
        assert all(tag == tag.lower() for tag in item.tags)
    assert "comedy" in {tag for i in ml100k.items for tag in i.tags}


def test_detect_ml100k(ml100k_dir: Path) -> None:
    assert detect(ml100k_dir) == ML_100K


# --- ml-latest-small, real data -------------------------------------------------------------


def test_latest_counts(latest: MovieLensData) -> None:
    assert latest.name == ML_LATEST_SMALL
    assert len(latest.subjects) == 610
    assert len(latest.items) == 9742
    assert len(latest.events) == 100_836
    assert len({e.item_id for e in latest.events}) == 9724


def test_latest_subjects_have_no_attributes(latest: MovieLensData) -> None:
    assert all(s.attributes == SubjectAttributes() for s in latest.subjects)
    assert {e.subject_id for e in latest.events} == {s.subject_id for s in latest.subjects}


def test_latest_half_stars(latest: MovieLensData) -> None:
    values = {e.value for e in latest.events}
    assert values == {n / 2 for n in range(1, 11)}


def test_latest_genres_are_clean(latest: MovieLensData) -> None:
    tags = {tag for i in latest.items for tag in i.tags}
    assert "comedy" in tags
    assert not any(tag.endswith("\r") or tag != tag.strip() for tag in tags)
    assert all(tag == tag.lower() for tag in tags)
    assert "(no genres listed)" not in tags
    assert not any("\r" in i.title or "\r" in i.category for i in latest.items)
    assert sum(1 for i in latest.items if i.category == "unknown") == 34


def test_detect_latest(latest_dir: Path) -> None:
    assert detect(latest_dir) == ML_LATEST_SMALL


# --- fictional files ------------------------------------------------------------------------

_FLAGS_COMEDY_DRAMA = "|".join("1" if i in (5, 8) else "0" for i in range(19))
_FLAGS_UNKNOWN = "|".join("1" if i == 0 else "0" for i in range(19))


def _write_ml100k(
    folder: Path,
    *,
    data: str = "1\t10\t4\t880000000\n2\t11\t1\t880000100\n",
    user: str = "1|17|F|student|00000\n2|40|M|writer|X1Y2Z\n",
    item: str | None = None,
) -> Path:
    """A fictional ml-100k folder: two users, two made-up movies, two ratings."""
    if item is None:
        item = (
            f"10|Café Imaginaire (2001)|01-Jan-2001||http://example.invalid/1|{_FLAGS_COMEDY_DRAMA}\n"
            f"11|Nameless Reel||||{_FLAGS_UNKNOWN}\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text(data, encoding="ascii")
    (folder / "u.user").write_text(user, encoding="ascii")
    (folder / "u.item").write_bytes(item.encode("latin-1"))
    return folder


def _write_latest(
    folder: Path,
    *,
    ratings: str | None = None,
    movies: str | None = None,
) -> Path:
    """A fictional ml-latest-small folder: CRLF, a quoted title, no demographics."""
    folder.mkdir(parents=True, exist_ok=True)
    default_movies = (
        "movieId,title,genres\r\n"
        '7,"Lighthouse, The Imaginary (2010)",Comedy|Sci-Fi\r\n'
        "8,Paper Moons Over Nowhere (2012),(no genres listed)\r\n"
    )
    default_ratings = (
        "userId,movieId,rating,timestamp\r\n"
        "5,7,3.5,1500000000\r\n"
        "5,8,0.5,1500000100\r\n"
        "3,7,5.0,1500000200\r\n"
    )
    with (folder / "movies.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(movies if movies is not None else default_movies)
    with (folder / "ratings.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(ratings if ratings is not None else default_ratings)
    return folder


def test_fictional_ml100k_is_read(tmp_path: Path) -> None:
    data = read_movielens(_write_ml100k(tmp_path / "fake100k"))
    assert data.name == ML_100K
    by_id = {i.item_id: i for i in data.items}
    assert by_id["ml-10"].title == "Café Imaginaire (2001)"
    assert by_id["ml-10"].category == "comedy"
    assert by_id["ml-10"].tags == ("comedy", "drama")
    assert by_id["ml-10"].provider == "movielens"
    assert by_id["ml-11"].category == "unknown"
    assert by_id["ml-11"].tags == ()
    first, second = data.subjects
    assert first.subject_id == "ml-u1"
    assert first.attributes == SubjectAttributes(
        age_band=AgeBand.UNDER_18, region=None, gender="female", occupation="student"
    )
    assert second.attributes.gender == "male"
    assert second.attributes.age_band is AgeBand.A35_44
    event = data.events[0]
    assert event.subject_id == "ml-u1"
    assert event.item_id == "ml-10"
    assert event.event_type is EventType.RATING
    assert event.value == 4.0
    assert event.occurred_at == datetime.fromtimestamp(880000000, UTC)


def test_fictional_latest_is_read(tmp_path: Path) -> None:
    data = read_movielens(_write_latest(tmp_path / "fakelatest"))
    assert data.name == ML_LATEST_SMALL
    by_id = {i.item_id: i for i in data.items}
    assert by_id["ml-7"].title == "Lighthouse, The Imaginary (2010)"
    assert by_id["ml-7"].tags == ("comedy", "sci-fi")
    assert by_id["ml-7"].category == "comedy"
    assert by_id["ml-8"].tags == ()
    assert by_id["ml-8"].category == "unknown"
    assert [s.subject_id for s in data.subjects] == ["ml-u3", "ml-u5"]
    assert [e.value for e in data.events] == [3.5, 0.5, 5.0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("1\t10\t4\t880000000\n2\t11\t1\n", "expected 4 fields"),
        ("1\t10\t4\t880000000\n2\t11\tfour\t880000100\n", "rating 'four'"),
        ("1\t10\t4\t880000000\n2\t11\t6\t880000100\n", "rating 6"),
        ("1\t10\t4\t880000000\n9\t11\t1\t880000100\n", "user id 9"),
        ("1\t10\t4\t880000000\n2\t99\t1\t880000100\n", "movie id 99"),
        ("1\t10\t4\t880000000\n2\t11\t1\tyesterday\n", "timestamp 'yesterday'"),
    ],
)
def test_malformed_u_data_line_is_named(tmp_path: Path, data: str, expected: str) -> None:
    folder = _write_ml100k(tmp_path / "bad", data=data)
    with pytest.raises(InvalidInput) as caught:
        read_movielens(folder)
    message = str(caught.value)
    assert "u.data, line 2" in message
    assert expected in message
    assert caught.value.errors[0].field == "u.data"
    assert caught.value.errors[0].row == 2


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("1|17|F|student|00000\n2|40|X|writer|00000\n", "gender 'X'"),
        ("1|17|F|student|00000\n2|forty|M|writer|00000\n", "age 'forty'"),
        ("1|17|F|student|00000\n2|40|M|writer\n", "expected 5 fields"),
        ("1|17|F|student|00000\n1|40|M|writer|00000\n", "user id 1 appears twice"),
    ],
)
def test_malformed_u_user_line_is_named(tmp_path: Path, user: str, expected: str) -> None:
    folder = _write_ml100k(tmp_path / "bad", user=user)
    with pytest.raises(InvalidInput, match=r"u\.user, line 2") as caught:
        read_movielens(folder)
    assert expected in str(caught.value)


def test_malformed_u_item_line_is_named(tmp_path: Path) -> None:
    items = (
        f"10|Café Imaginaire (2001)|01-Jan-2001||http://example.invalid/1|{_FLAGS_COMEDY_DRAMA}\n"
    )
    folder = _write_ml100k(tmp_path / "bad", item=items + "11|Short Row|||\n")
    with pytest.raises(InvalidInput, match=r"u\.item, line 2: expected 24 fields"):
        read_movielens(folder)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    folder = _write_ml100k(
        tmp_path / "blank", data="1\t10\t4\t880000000\n\n2\t11\t1\t880000100\n\n"
    )
    assert len(read_movielens(folder).events) == 2


@pytest.mark.parametrize("missing", ["u.data", "u.user", "u.item"])
def test_missing_ml100k_file(tmp_path: Path, missing: str) -> None:
    folder = _write_ml100k(tmp_path / "partial")
    (folder / missing).unlink()
    with pytest.raises(InvalidInput, match="missing " + re.escape(missing)):
        read_movielens(folder)


@pytest.mark.parametrize("missing", ["ratings.csv", "movies.csv"])
def test_missing_latest_file(tmp_path: Path, missing: str) -> None:
    folder = _write_latest(tmp_path / "partial")
    (folder / missing).unlink()
    with pytest.raises(InvalidInput, match="missing " + re.escape(missing)):
        read_movielens(folder)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ("userId,movieId,rating,timestamp\r\n5,7,3.5,1500000000\r\n5,8,3.5\r\n", "expected 4"),
        ("userId,movieId,rating,timestamp\r\n5,7,3.5,1500000000\r\n5,8,3.3,1\r\n", "'3.3'"),
        ("userId,movieId,rating,timestamp\r\n5,7,3.5,1500000000\r\n5,8,5.5,1\r\n", "'5.5'"),
        ("userId,movieId,rating,timestamp\r\n5,7,3.5,1500000000\r\n5,999,4.0,1\r\n", "movie id"),
        ("userId,movieId,rating,timestamp\r\n5,7,3.5,1500000000\r\nfive,8,4.0,1\r\n", "'five'"),
    ],
)
def test_malformed_ratings_csv_line_is_named(tmp_path: Path, ratings: str, expected: str) -> None:
    folder = _write_latest(tmp_path / "bad", ratings=ratings)
    with pytest.raises(InvalidInput, match=r"ratings\.csv, line 3") as caught:
        read_movielens(folder)
    assert expected in str(caught.value)
    assert caught.value.errors[0].row == 3


def test_latest_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    movies = (
        "movieId,title,genres\r\n"
        '7,"Two\r\nLine Title (2010)",Drama\r\n'
        "oops,Broken Row (2011),Drama\r\n"
    )
    folder = _write_latest(tmp_path / "bad", movies=movies)
    with pytest.raises(InvalidInput, match=r"movies\.csv, line 4: movie id 'oops'"):
        read_movielens(folder)


def test_wrong_csv_header(tmp_path: Path) -> None:
    folder = _write_latest(tmp_path / "bad", ratings="user,movie,stars,time\r\n5,7,3.5,1\r\n")
    with pytest.raises(InvalidInput, match=r"ratings\.csv, line 1: expected the header"):
        read_movielens(folder)


def test_non_utf8_csv(tmp_path: Path) -> None:
    folder = _write_latest(tmp_path / "bad")
    (folder / "movies.csv").write_bytes(b"movieId,title,genres\r\n7,Caf\xe9 (2001),Drama\r\n")
    with pytest.raises(InvalidInput, match=r"movies\.csv: not valid UTF-8"):
        read_movielens(folder)


def test_latest_accepts_ratings_without_decimal(tmp_path: Path) -> None:
    ratings = "userId,movieId,rating,timestamp\r\n5,7,4,1500000000\r\n"
    data = read_movielens(_write_latest(tmp_path / "ok", ratings=ratings))
    assert [e.value for e in data.events] == [4.0]


# --- detect and default_datasets_dir ----------------------------------------------------------


def test_detect_fictional(tmp_path: Path) -> None:
    assert detect(_write_ml100k(tmp_path / "a")) == ML_100K
    assert detect(_write_latest(tmp_path / "b")) == ML_LATEST_SMALL


def test_detect_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a MovieLens folder"):
        detect(tmp_path)


def test_detect_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a folder"):
        detect(tmp_path / "nowhere")
    with pytest.raises(InvalidInput, match="not a folder"):
        read_movielens(tmp_path / "nowhere")


def test_detect_mixed_folder(tmp_path: Path) -> None:
    folder = _write_latest(_write_ml100k(tmp_path / "mixed"))
    with pytest.raises(InvalidInput, match="both ml-100k"):
        detect(folder)


def test_detect_ml1m_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "movies.dat").write_text("1::Imaginary Film (1990)::Drama\n", encoding="latin-1")
    with pytest.raises(InvalidInput, match="ml-1m"):
        detect(tmp_path)


def test_default_datasets_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TACTFUL_DATASETS", str(tmp_path))
    assert default_datasets_dir() == tmp_path


def test_default_datasets_dir_env_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TACTFUL_DATASETS", str(tmp_path / "nowhere"))
    with pytest.raises(InvalidInput, match="TACTFUL_DATASETS"):
        default_datasets_dir()


def test_default_datasets_dir_next_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared" / "datasets"
    shared.mkdir(parents=True)
    (tmp_path / "main").mkdir()
    monkeypatch.delenv("TACTFUL_DATASETS", raising=False)
    monkeypatch.chdir(tmp_path / "main")
    assert default_datasets_dir() == shared.resolve()


def test_default_datasets_dir_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main").mkdir()
    monkeypatch.delenv("TACTFUL_DATASETS", raising=False)
    monkeypatch.chdir(tmp_path / "main")
    with pytest.raises(InvalidInput, match="TACTFUL_DATASETS"):
        default_datasets_dir()
