"""`AuditData` from an offline evaluation: a model's top-k on ml-100k's test split.

The data are split exactly as the evaluation protocol splits them (`tactful evaluate`;
for `ml100k-folds`, its first fold u1), the model is fitted on the training part with its
default config and the run's seed (no tuning), and every evaluated user gets a top-k list
over the items they have not rated. Then:

* relevant: the user's test ratings (every rating counts, as in the protocol); history:
  their training ratings; popularity: training ratings per item; population: training
  users. Items rated only in the test part are in the catalog too (no model can recommend
  them, but they count as relevant, as in the protocol), so nDCG equals the harness's;
* categories: the films' genres; attributes: ml-100k's gender, age band and occupation
  (the policy's `gender`, `age_band` and `occupation`; ml-100k has no region);
* providers: MovieLens has no providers, so the film's release decade from u.item stands
  in for one ("1990s"; "unknown" when u.item gives no date). Exposure by decade asks the
  same question as exposure by studio: does the model show old films in proportion to
  their share of the catalog?
* segments: one "category" segment per genre. Every evaluated user is eligible, served
  when their top-k holds a film of the genre, converted when one of those films is a test
  hit.

Only ml-100k protocols can be audited: ml-latest-small has no attributes of people, so
there is nothing to break quality down by, and `InvalidInput` says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tactful import metrics
from tactful.candidates.registry import build
from tactful.datasets.movielens import ML_100K
from tactful.errors import FieldError, InvalidInput
from tactful.evaluation.data import Dataset, item_id, load_dataset
from tactful.evaluation.experiment import build_experiment, seeded_config
from tactful.evaluation.protocols import get_protocol
from tactful.evaluation.ranking import recommend_top_k
from tactful.evaluation.runner import check_models, protocol_parts
from tactful.fairness.data import AuditData, Segment

ATTRIBUTES = ("gender", "age_band", "occupation")
IntArray = npt.NDArray[np.int64]


def offline_audit_data(
    protocol: str = "msr-ml100k",
    *,
    datasets_dir: Path,
    model: str = "ease",
    k: int = 10,
    seed: int = 42,
) -> AuditData:
    """The audit input for `model`'s top-k under an ml-100k `protocol` (see the module)."""
    spec = get_protocol(protocol)
    if spec.dataset != ML_100K:
        raise InvalidInput(
            f"The {protocol} protocol uses {spec.dataset}, which records nothing about its "
            "people (no gender, age or occupation), so its recommendations cannot be audited "
            "for fairness; use an ml-100k protocol (msr-ml100k, msr-ml100k-by-user, "
            "ml100k-folds).",
            [FieldError("protocol", f"{spec.dataset} has no attributes of people")],
        )
    check_models([model])
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidInput(f"k must be a positive integer, got {k!r}.", [FieldError("k", "< 1")])
    dataset = load_dataset(spec, datasets_dir)
    _, train, test = protocol_parts(spec, dataset, seed)[0]
    experiment = build_experiment(train, test, dataset, ATTRIBUTES)
    fitted = build(model, seeded_config(model, seed)).fit(experiment.train)
    train_matrix = experiment.train.matrix
    histories = sparse.csr_array(train_matrix[experiment.eval_rows])
    lists = recommend_top_k(fitted, histories, k)

    # The catalog: training items (the columns models rank), then test-only items, in the
    # order of the relevance matrix's columns (`build_experiment`).
    train_movies = np.unique(train.items)
    test_movies = test.items[np.isin(test.users, np.unique(train.users))]
    movies = np.concatenate([train_movies, np.setdiff1d(test_movies, train_movies)])
    n_items = experiment.relevant.shape[1]
    if len(movies) != n_items:  # pragma: no cover - build_experiment's own rule
        raise InvalidInput("The test-only items do not match the evaluation's catalog.")
    n_people = len(experiment.eval_rows)

    def widen(matrix: sparse.csr_array) -> sparse.csr_array:
        parts = (matrix.data, matrix.indices, matrix.indptr)
        return sparse.csr_array(parts, shape=(matrix.shape[0], n_items))

    popularity = np.zeros(n_items)
    popularity[: len(train_movies)] = metrics.item_popularity(train_matrix)
    genres, categories = _categories(movies, dataset)
    return AuditData(
        source="offline",
        label=f"{spec.name}/{model}",
        window_start=None,
        window_end=None,
        item_ids=[item_id(int(m)) for m in movies],
        providers=_decades(movies, dataset.folder / "u.item"),
        categories=categories,
        popularity=popularity,
        population=int(train_matrix.shape[0]),
        people=[str(s) for s in experiment.train.subject_ids[experiment.eval_rows]],
        attributes={name: list(labels) for name, labels in experiment.labels.items()},
        lists=lists,
        list_person=np.arange(n_people, dtype=np.int64),
        relevant=sparse.csr_array(experiment.relevant),
        history=widen(histories),
        segments=_genre_segments(lists, experiment.relevant, categories, genres),
        counts=dict(experiment.counts),
    )


def _categories(movies: IntArray, dataset: Dataset) -> tuple[list[str], sparse.csr_array]:
    """The genres found among `movies`, sorted, and the (movies, genres) 0/1 matrix."""
    genres = sorted({g for movie in movies for g in dataset.genres.get(int(movie), ())})
    column = {g: n for n, g in enumerate(genres)}
    rows, cols = [], []
    for row, movie in enumerate(movies):
        for genre in dataset.genres.get(int(movie), ()):
            rows.append(row)
            cols.append(column[genre])
    matrix = sparse.csr_array(
        (np.ones(len(rows)), (rows, cols)), shape=(len(movies), max(1, len(genres)))
    )
    return genres, matrix


def _decades(movies: IntArray, u_item: Path) -> list[str]:
    """Each movie's release decade from u.item's third field ("01-Jan-1995" -> "1990s")."""
    decade: dict[int, str] = {}
    with u_item.open(encoding="latin-1") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("|")
            if len(fields) < 3 or not fields[0].strip().isdigit():
                continue
            year = fields[2].strip()[-4:]
            label = f"{int(year) // 10 * 10}s" if year.isdigit() else "unknown"
            decade[int(fields[0])] = label
    return [decade.get(int(movie), "unknown") for movie in movies]


def _genre_segments(
    lists: IntArray, relevant: sparse.csr_array, categories: sparse.csr_array, genres: list[str]
) -> tuple[Segment, ...]:
    """One category segment per genre: served a film of it, converted by a hit on one."""
    n_people, n_items = relevant.shape
    rows = np.repeat(np.arange(n_people), lists.shape[1])
    shown = lists.ravel()
    keep = shown >= 0
    listed = sparse.csr_array(
        (np.ones(int(keep.sum())), (rows[keep], shown[keep])), shape=(n_people, n_items)
    )
    hits = sparse.csr_array(listed.multiply(relevant > 0))
    served = np.asarray((listed @ categories).toarray() > 0)
    converted = np.asarray((hits @ categories).toarray() > 0)
    everyone = np.arange(n_people, dtype=np.int64)
    return tuple(
        Segment(
            kind="category",
            name=genre,
            person=everyone,
            eligible=np.ones(n_people, dtype=np.bool_),
            served=served[:, n],
            converted=converted[:, n],
        )
        for n, genre in enumerate(genres)
    )
