"""Read the MovieLens datasets (GroupLens Research) into Tactful's domain types.

Two datasets are supported, each read from its original, unmodified folder:

* ``ml-100k``: ``u.data`` (tab-separated ratings), ``u.user`` and ``u.item``
  (``|``-separated; ``u.item`` is latin-1). Users keep age band, gender and occupation;
  zip codes are never read into Tactful (data minimisation).
* ``ml-latest-small``: ``ratings.csv`` and ``movies.csv`` (UTF-8, CRLF, quoted fields,
  one header row). There are no demographics.

Ids are prefixed so they cannot be mistaken for Tactful's own: item ``ml-<movieId>``,
subject ``ml-u<userId>``. An item's category is its first genre and its tags are all its
genres in lower case; an item without a genre (ml-100k's ``unknown`` flag, ml-latest's
``(no genres listed)``) has category ``unknown`` and no tags.

Every problem with the files (missing, malformed line, unknown id) raises
`tactful.errors.InvalidInput` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.subjects import AgeBand, Subject, SubjectAttributes
from tactful.errors import FieldError, InvalidInput

__all__ = [
    "ML_100K",
    "ML_LATEST_SMALL",
    "MovieLensData",
    "default_datasets_dir",
    "detect",
    "read_movielens",
]

ML_100K = "ml-100k"
ML_LATEST_SMALL = "ml-latest-small"
PROVIDER = "movielens"
UNKNOWN_CATEGORY = "unknown"
DATASETS_ENV = "TACTFUL_DATASETS"

# u.item's 19 genre flags, in the order of u.genre; flag 0 ("unknown") means "no genre".
_ML100K_GENRES = (
    "unknown",
    "action",
    "adventure",
    "animation",
    "children's",
    "comedy",
    "crime",
    "documentary",
    "drama",
    "fantasy",
    "film-noir",
    "horror",
    "musical",
    "mystery",
    "romance",
    "sci-fi",
    "thriller",
    "war",
    "western",
)
_ML100K_ITEM_FIELDS = 5 + len(_ML100K_GENRES)
_ML100K_FILES = ("u.data", "u.item", "u.user")
_LATEST_FILES = ("ratings.csv", "movies.csv")
_ML1M_FILES = ("ratings.dat", "movies.dat", "users.dat")
_NO_GENRES = "(no genres listed)"
_GENDERS = {"F": "female", "M": "male"}


@dataclass(frozen=True, slots=True)
class MovieLensData:
    """One MovieLens dataset as Tactful items, subjects and rating events."""

    name: str
    items: list[Item]
    subjects: list[Subject]
    events: list[Event]


def default_datasets_dir() -> Path:
    """The folder holding the dataset folders.

    ``$TACTFUL_DATASETS`` when set, else ``../shared/datasets`` relative to the current
    working directory when that exists.
    """
    configured = os.environ.get(DATASETS_ENV, "").strip()
    if configured:
        folder = Path(configured).expanduser()
        if not folder.is_dir():
            raise InvalidInput(f"{DATASETS_ENV}={configured} is not a folder")
        return folder
    folder = (Path.cwd().parent / "shared" / "datasets").resolve()
    if folder.is_dir():
        return folder
    raise InvalidInput(
        f"no datasets folder: set {DATASETS_ENV} or create {folder} "
        f"(relative to the working directory: ../shared/datasets)"
    )


def detect(path: Path) -> str:
    """Which MovieLens dataset the folder ``path`` holds, judged by its file names."""
    if not path.is_dir():
        raise InvalidInput(f"{path}: not a folder")
    is_100k = _has_any(path, _ML100K_FILES)
    is_latest = _has_any(path, _LATEST_FILES)
    if is_100k and is_latest:
        raise InvalidInput(
            f"{path}: holds files of both ml-100k ({', '.join(_ML100K_FILES)}) and "
            f"ml-latest-small ({', '.join(_LATEST_FILES)}); keep each dataset in its own folder"
        )
    if is_100k:
        return ML_100K
    if is_latest:
        return ML_LATEST_SMALL
    if _has_any(path, _ML1M_FILES):
        raise InvalidInput(f"{path}: looks like ml-1m, which is not supported")
    raise InvalidInput(
        f"{path}: not a MovieLens folder: expected {', '.join(_ML100K_FILES)} (ml-100k) "
        f"or {', '.join(_LATEST_FILES)} (ml-latest-small)"
    )


def read_movielens(path: Path) -> MovieLensData:
    """Read the MovieLens dataset in the folder ``path`` (see `detect`)."""
    name = detect(path)
    if name == ML_100K:
        return _read_ml100k(path)
    return _read_latest_small(path)


# --- ml-100k ------------------------------------------------------------------------------


def _read_ml100k(folder: Path) -> MovieLensData:
    _require_files(folder, ML_100K, _ML100K_FILES)
    item_ids: dict[int, str] = {}
    items = [_ml100k_item(row, item_ids) for row in _rows(_split_lines(folder / "u.item", "|"))]
    subject_ids: dict[int, str] = {}
    subjects = [
        _ml100k_subject(row, subject_ids) for row in _rows(_split_lines(folder / "u.user", "|"))
    ]
    events = _ratings(
        _split_lines(folder / "u.data", "\t"), subject_ids, item_ids, _ML100K_STARS, _ml100k_stars
    )
    return MovieLensData(name=ML_100K, items=items, subjects=subjects, events=events)


def _ml100k_item(row: _Row, item_ids: dict[int, str]) -> Item:
    fields = row.fields(_ML100K_ITEM_FIELDS, "movie id|title|release date|...|19 genre flags")
    movie_id = row.new_id(fields[0], item_ids, "ml-", "movie")
    title = fields[1].strip()
    if not title:
        raise row.error("empty title")
    flags = fields[5:]
    if any(flag not in ("0", "1") for flag in flags):
        raise row.error("genre flags must be 0 or 1")
    genres = tuple(g for g, flag in zip(_ML100K_GENRES[1:], flags[1:], strict=True) if flag == "1")
    return _item(movie_id, title, genres)


def _ml100k_subject(row: _Row, subject_ids: dict[int, str]) -> Subject:
    fields = row.fields(5, "user id|age|gender|occupation|zip code")
    subject_id = row.new_id(fields[0], subject_ids, "ml-u", "user")
    age = row.integer(fields[1], "age")
    if age < 0:
        raise row.error(f"age {age} is negative")
    gender = _GENDERS.get(fields[2])
    if gender is None:
        raise row.error(f"gender {fields[2]!r} is neither F nor M")
    occupation = fields[3].strip()
    if not occupation:
        raise row.error("empty occupation")
    # fields[4], the zip code, is deliberately dropped: Tactful needs no location.
    attributes = SubjectAttributes(
        age_band=AgeBand.from_age(age), region=None, gender=gender, occupation=occupation
    )
    return Subject(subject_id=subject_id, attributes=attributes)


def _ml100k_stars(row: _Row, text: str) -> float:
    stars = row.integer(text, "rating")
    if not 1 <= stars <= 5:
        raise row.error(f"rating {stars} is not a whole number of stars from 1 to 5")
    return float(stars)


# --- ml-latest-small ----------------------------------------------------------------------


def _read_latest_small(folder: Path) -> MovieLensData:
    _require_files(folder, ML_LATEST_SMALL, _LATEST_FILES)
    item_ids: dict[int, str] = {}
    movies = _csv_rows(folder / "movies.csv", ("movieId", "title", "genres"))
    items = [_latest_item(row, item_ids) for row in _rows(movies)]
    # There is no users file: the subjects are the raters, in order of user id.
    subject_ids: dict[int, str] = {}
    ratings = _csv_rows(folder / "ratings.csv", ("userId", "movieId", "rating", "timestamp"))
    events = _ratings(ratings, subject_ids, item_ids, _LATEST_STARS, _latest_stars, new_users=True)
    subjects = [Subject(subject_id=subject_ids[user]) for user in sorted(subject_ids)]
    return MovieLensData(name=ML_LATEST_SMALL, items=items, subjects=subjects, events=events)


def _latest_item(row: _Row, item_ids: dict[int, str]) -> Item:
    fields = row.fields(3, "movieId,title,genres")
    movie_id = row.new_id(fields[0], item_ids, "ml-", "movie")
    title = fields[1].strip()
    if not title:
        raise row.error("empty title")
    names = fields[2].strip()
    genres: tuple[str, ...] = ()
    if names and names != _NO_GENRES:
        genres = tuple(g.strip().lower() for g in names.split("|"))
        if not all(genres):
            raise row.error(f"empty genre in {names!r}")
    return _item(movie_id, title, genres)


def _latest_stars(row: _Row, text: str) -> float:
    try:
        stars = float(text)
    except ValueError:
        raise row.error(f"rating {text!r} is not a number") from None
    if not (0.5 <= stars <= 5.0 and (stars * 2).is_integer()):
        raise row.error(f"rating {text!r} is not a half-star value from 0.5 to 5.0")
    return stars


# --- shared -------------------------------------------------------------------------------

# The usual spellings of valid ratings, for the fast path of `_ratings`.
_ML100K_STARS = {str(n): float(n) for n in range(1, 6)}
_LATEST_STARS = {f"{n / 2:.1f}": n / 2 for n in range(1, 11)}

# (path, line number, fields) of one non-blank line of a data file.
_Line = tuple[Path, int, list[str]]


def _item(movie_id: str, title: str, genres: tuple[str, ...]) -> Item:
    return Item(
        item_id=movie_id,
        title=title,
        category=genres[0] if genres else UNKNOWN_CATEGORY,
        provider=PROVIDER,
        tags=genres,
    )


def _ratings(
    lines: Iterable[_Line],
    subject_ids: dict[int, str],
    item_ids: dict[int, str],
    usual_stars: dict[str, float],
    parse_stars: Callable[[_Row, str], float],
    new_users: bool = False,
) -> list[Event]:
    """Rating events, one per line of ``user, movie, rating, timestamp``.

    The loop takes a fast path for well-formed lines; a line it cannot take goes through
    `_rating`, which checks every field and explains what is wrong.
    """
    events: list[Event] = []
    append = events.append
    times: dict[str, datetime] = {}
    rating = EventType.RATING
    for path, number, fields in lines:
        try:
            user, movie, stars, seconds = fields
            subject_id = subject_ids[int(user)]
            item_id = item_ids[int(movie)]
            value = usual_stars[stars]
            occurred_at = times.get(seconds)
            if occurred_at is None:
                occurred_at = times[seconds] = datetime.fromtimestamp(int(seconds), UTC)
        except (ValueError, KeyError, OverflowError, OSError):
            row = _Row(path, number, fields)
            append(_rating(row, subject_ids, item_ids, parse_stars, new_users))
            continue
        append(
            Event(
                subject_id=subject_id,
                event_type=rating,
                occurred_at=occurred_at,
                item_id=item_id,
                value=value,
            )
        )
    return events


def _rating(
    row: _Row,
    subject_ids: dict[int, str],
    item_ids: dict[int, str],
    parse_stars: Callable[[_Row, str], float],
    new_users: bool,
) -> Event:
    """One rating, checked field by field; ``new_users`` adds unseen users, else rejects."""
    fields = row.fields(4, "user id, movie id, rating, timestamp")
    user = row.integer(fields[0], "user id")
    movie = row.integer(fields[1], "movie id")
    value = parse_stars(row, fields[2])
    seconds = row.integer(fields[3], "timestamp")
    subject_id = subject_ids.get(user)
    if subject_id is None:
        if not new_users:
            raise row.error(f"user id {user} is not in the users file")
        subject_id = subject_ids[user] = f"ml-u{user}"
    item_id = item_ids.get(movie)
    if item_id is None:
        raise row.error(f"movie id {movie} is not in the movies file")
    try:
        occurred_at = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise row.error(f"timestamp {seconds} is out of range") from None
    return Event(
        subject_id=subject_id,
        event_type=EventType.RATING,
        occurred_at=occurred_at,
        item_id=item_id,
        value=value,
    )


class _Row:
    """One line of a data file, to parse fields and to raise errors that point at it."""

    __slots__ = ("_raw", "line", "path")

    def __init__(self, path: Path, line: int, raw: list[str]) -> None:
        self.path = path
        self.line = line
        self._raw = raw

    def error(self, message: str) -> InvalidInput:
        return _line_error(self.path, self.line, message)

    def fields(self, count: int, layout: str) -> list[str]:
        if len(self._raw) != count:
            raise self.error(f"expected {count} fields ({layout}), found {len(self._raw)}")
        return self._raw

    def integer(self, text: str, what: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise self.error(f"{what} {text!r} is not a whole number") from None

    def new_id(self, text: str, ids: dict[int, str], prefix: str, what: str) -> str:
        number = self.integer(text, f"{what} id")
        if number in ids:
            raise self.error(f"{what} id {number} appears twice")
        value = ids[number] = f"{prefix}{number}"
        return value


def _line_error(path: Path, line: int, message: str) -> InvalidInput:
    return InvalidInput(
        f"{path}, line {line}: {message}",
        [FieldError(field=path.name, message=message, row=line)],
    )


def _rows(lines: Iterable[_Line]) -> Iterator[_Row]:
    for path, number, fields in lines:
        yield _Row(path, number, fields)


def _split_lines(path: Path, separator: str) -> Iterator[_Line]:
    """The non-blank lines of an ml-100k file (latin-1, no header) split on ``separator``."""
    with _open(path, "latin-1", newline=None) as handle:
        for number, line in enumerate(handle, start=1):
            if line.isspace():
                continue
            yield path, number, line.rstrip("\n").split(separator)


def _csv_rows(path: Path, header: tuple[str, ...]) -> Iterator[_Line]:
    """The data rows of a UTF-8 CSV file whose first row must be ``header``."""
    with _open(path, "utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            first = next(reader, None)
            if first is None or tuple(f.strip() for f in first) != header:
                found = ",".join(first) if first else "nothing"
                raise _line_error(path, 1, f"expected the header {','.join(header)}, found {found}")
            for fields in reader:
                if fields:
                    yield path, reader.line_num, fields
        except csv.Error as exc:
            raise _line_error(path, reader.line_num, f"not valid CSV ({exc})") from None
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{path}: not valid UTF-8 after line {reader.line_num} ({exc.reason})"
            ) from None


def _open(path: Path, encoding: str, newline: str | None) -> TextIO:
    try:
        return path.open(encoding=encoding, newline=newline)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _require_files(folder: Path, dataset: str, names: tuple[str, ...]) -> None:
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise InvalidInput(
            f"{folder}: missing {', '.join(missing)} (a {dataset} folder needs {', '.join(names)})"
        )


def _has_any(folder: Path, names: Iterable[str]) -> bool:
    return any((folder / name).is_file() for name in names)
