"""The MovieLens files an evaluation reads, as plain arrays.

Ratings are read straight from the rating files with numpy, in file order (the order the
split replication depends on). Genres and user attributes come from
`tactful.datasets.movielens.read_movielens`, which also validates the folder. Every file
read is fingerprinted (sha256) so a result names the exact data it was measured on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tactful.datasets.movielens import ML_100K, read_movielens
from tactful.errors import InvalidInput
from tactful.evaluation.protocols import Protocol

IndexArray = npt.NDArray[np.int64]
_ITEM_PREFIX = "ml-"
_USER_PREFIX = "ml-u"


@dataclass(frozen=True, slots=True)
class Ratings:
    """Parallel arrays of MovieLens user and movie ids, one entry per rating, in file order."""

    users: IndexArray
    items: IndexArray

    def take(self, rows: IndexArray) -> Ratings:
        return Ratings(self.users[rows], self.items[rows])

    def __len__(self) -> int:
        return len(self.users)


@dataclass(frozen=True)
class Dataset:
    """One MovieLens folder: item genres, user attributes and the fingerprints of its files."""

    name: str
    folder: Path
    genres: Mapping[int, tuple[str, ...]]  # movie id -> genres
    attributes: Mapping[int, Mapping[str, str]]  # user id -> attribute -> label
    checksums: dict[str, str] = field(default_factory=dict)  # file name -> sha256

    def ratings(self, file_name: str) -> Ratings:
        """The (user, movie) pairs of one rating file, fingerprinted on the way."""
        path = self.folder / file_name
        if not path.is_file():
            raise InvalidInput(f"{path}: missing (the {self.name} folder should hold it)")
        self.checksums[file_name] = sha256(path)
        try:
            if file_name.endswith(".csv"):
                table = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1), ndmin=2)
            else:
                table = np.loadtxt(path, delimiter="\t", usecols=(0, 1), ndmin=2)
        except ValueError as exc:
            raise InvalidInput(f"{path}: not a MovieLens rating file ({exc})") from None
        pairs = table.astype(np.int64)
        if pairs.shape[0] == 0 or not np.array_equal(pairs, table):
            raise InvalidInput(f"{path}: user and movie ids must be whole numbers")
        unknown = np.setdiff1d(pairs[:, 1], np.fromiter(self.genres, dtype=np.int64))
        if unknown.size:
            raise InvalidInput(f"{path}: movie id {int(unknown[0])} is not in the movies file")
        return Ratings(np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]))


def rating_files(protocol: Protocol) -> tuple[str, ...]:
    """The rating files a protocol reads."""
    if protocol.split == "folds":
        return tuple(f"{stem}.{part}" for stem in protocol.folds for part in ("base", "test"))
    return ("u.data",) if protocol.dataset == ML_100K else ("ratings.csv",)


def dataset_folder(protocol: Protocol, datasets_dir: Path) -> Path:
    """The protocol's dataset folder under `datasets_dir`, checked to hold every file needed."""
    folder = datasets_dir / protocol.dataset
    if not folder.is_dir():
        raise InvalidInput(
            f"{folder}: no such folder; the {protocol.name} protocol needs the "
            f"{protocol.dataset} dataset in {datasets_dir}"
        )
    missing = [name for name in rating_files(protocol) if not (folder / name).is_file()]
    if missing:
        raise InvalidInput(f"{folder}: missing {', '.join(missing)}")
    return folder


def load_dataset(protocol: Protocol, datasets_dir: Path) -> Dataset:
    """Read the protocol's dataset folder (genres, attributes); ratings are read on demand."""
    folder = dataset_folder(protocol, datasets_dir)
    data = read_movielens(folder)
    if data.name != protocol.dataset:
        raise InvalidInput(f"{folder} holds {data.name}, not {protocol.dataset}")
    genres = {_number(item.item_id, _ITEM_PREFIX): tuple(item.tags) for item in data.items}
    attributes: dict[int, dict[str, str]] = {}
    for subject in data.subjects:
        attrs = subject.attributes
        labels = {
            "gender": attrs.gender,
            "age_band": attrs.age_band.value if attrs.age_band is not None else None,
            "occupation": attrs.occupation,
        }
        attributes[_number(subject.subject_id, _USER_PREFIX)] = {
            k: v for k, v in labels.items() if v is not None
        }
    checksums = {
        name: sha256(folder / name)
        for name in ("u.item", "u.user", "movies.csv")
        if (folder / name).is_file()
    }
    return Dataset(data.name, folder, genres, attributes, checksums)


def item_id(movie: int) -> str:
    return f"{_ITEM_PREFIX}{movie}"


def subject_id(user: int) -> str:
    return f"{_USER_PREFIX}{user}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _number(identifier: str, prefix: str) -> int:
    return int(identifier.removeprefix(prefix))
