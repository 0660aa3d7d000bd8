"""Readers for public datasets used to train and evaluate Tactful offline.

`tactful.datasets.movielens` reads the GroupLens MovieLens datasets (ml-100k and
ml-latest-small) from a folder outside the repository into Tactful's domain types. The
data files themselves are never part of this package: their licences forbid
redistribution (ml-100k) or require the same terms (ml-latest-small), so they are read
from a shared folder (see `default_datasets_dir`).
"""
