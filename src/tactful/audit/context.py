"""Who is acting, for the audit log, without threading it through every call.

Each HTTP request (and each CLI command) opens an `acting_as` scope holding a mutable
`Actor`; authentication fills in the name once it knows it. The holder is shared, not
copied, so a name set in a dependency running on a worker thread is seen by the route too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class Actor:
    name: str


_current: ContextVar[Actor | None] = ContextVar("tactful_actor", default=None)

SYSTEM = "system"


@contextmanager
def acting_as(name: str) -> Iterator[Actor]:
    holder = Actor(name)
    token = _current.set(holder)
    try:
        yield holder
    finally:
        _current.reset(token)


def set_actor(name: str) -> None:
    """Name the actor of the current scope (no effect outside one)."""
    holder = _current.get()
    if holder is not None:
        holder.name = name


def current_actor() -> str:
    holder = _current.get()
    return holder.name if holder is not None else SYSTEM
