"""The package's public surface is deliberate: everything exported exists and is listed."""

from __future__ import annotations

import tactful


def test_all_exports_exist() -> None:
    for name in tactful.__all__:
        assert hasattr(tactful, name), name


def test_public_names_are_listed() -> None:
    public = {
        name
        for name, value in vars(tactful).items()
        if not name.startswith("_") and not getattr(value, "__name__", "").startswith("tactful.")
    }
    assert public <= set(tactful.__all__)
