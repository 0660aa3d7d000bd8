"""Fixtures: a small, entirely made-up dataset in ml-100k's file formats.

Real MovieLens data is never copied here; the fake one has planted taste clusters so a
personal model must beat popularity on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.conftest import DATASETS, need_service

N_USERS = 80
N_ITEMS = 48
OCCUPATIONS = ("writer", "engineer", "student", "artist")


def write_fake_ml100k(folder: Path, seed: int = 7) -> None:
    """u.data, u.item, u.user and five folds u1..u5, all invented."""
    gen = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    rows: list[tuple[int, int, int, int]] = []
    for user in range(1, N_USERS + 1):
        cluster = user % 2  # users of one cluster like half of the catalog
        own = np.arange(1, N_ITEMS // 2 + 1) + cluster * (N_ITEMS // 2)
        liked = gen.choice(own, size=int(gen.integers(8, 16)), replace=False)
        other = gen.choice(np.arange(1, N_ITEMS + 1), size=2, replace=False)
        for item in sorted(set(liked.tolist()) | set(other.tolist())):
            rows.append((user, item, int(gen.integers(1, 6)), 880_000_000 + len(rows)))
    order = gen.permutation(len(rows))  # file order is not sorted, as in u.data
    lines = [rows[i] for i in order]

    def dump(name: str, part: list[tuple[int, int, int, int]]) -> None:
        (folder / name).write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in part))

    dump("u.data", lines)
    for fold in range(5):
        dump(f"u{fold + 1}.base", [r for n, r in enumerate(lines) if n % 5 != fold])
        dump(f"u{fold + 1}.test", [r for n, r in enumerate(lines) if n % 5 == fold])
    items = []
    for item in range(1, N_ITEMS + 1):
        flags = ["0"] * 19
        flags[1 + (item > N_ITEMS // 2)] = "1"  # action or adventure, by cluster
        flags[5 + item % 3] = "1"
        items.append(f"{item}|Invented Film {item} (1990)|01-Jan-1990||http://example.test|")
        items[-1] += "|".join(flags) + "\n"
    (folder / "u.item").write_text("".join(items), encoding="latin-1")
    users = [
        f"{u}|{15 + (u * 7) % 50}|{'MF'[u % 2 if u % 3 else 0]}|{OCCUPATIONS[u % 4]}|00000\n"
        for u in range(1, N_USERS + 1)
    ]
    (folder / "u.user").write_text("".join(users))


@pytest.fixture(scope="module")
def fake_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datasets folder holding a fake `ml-100k`."""
    base = tmp_path_factory.mktemp("datasets")
    write_fake_ml100k(base / "ml-100k")
    return base


@pytest.fixture(scope="module")
def real_datasets() -> Path:
    """The shared folder with the real MovieLens datasets (skipped without, except on CI)."""
    if not (DATASETS / "ml-100k" / "u.data").is_file():
        need_service(f"MovieLens ml-100k not found in {DATASETS}")
    return DATASETS
