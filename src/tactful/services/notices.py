"""The notice in force: published from the operator's file, cached per process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from tactful.audit.chain import AuditAction
from tactful.consent.notice import (
    Notice,
    PublishedNotice,
    catalog_in_force,
    load_notice,
    material_changes,
    parse_notice,
)
from tactful.defaults import notice_document
from tactful.domain.purposes import PurposeCatalog
from tactful.errors import Conflict
from tactful.services.audit import AuditLog
from tactful.storage import notices as stored
from tactful.storage.repository import Store

# How long a process trusts its cached notice before checking for a newer version.
CACHE_SECONDS = 1.0


def packaged_notice() -> Notice:
    return parse_notice(notice_document(), "packaged notice")


def notice_from(path: Path | None) -> Notice:
    return load_notice(path) if path is not None else packaged_notice()


class NoticeRegistry:
    """Publishes notice versions and serves the one in force, with its purpose catalog."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], audit: AuditLog | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.audit = audit
        self._lock = threading.Lock()
        self._history: list[PublishedNotice] = []
        self._catalog: PurposeCatalog | None = None
        self._checked = 0.0

    def publish(self, notice: Notice) -> PublishedNotice:
        """Record `notice` as the newest version; publishing the newest again changes nothing.

        A version's content is fixed once published, and the file may not go back to an
        older version: people's consents name the version they saw.
        """
        for _attempt in range(2):
            with self.store.transaction() as conn:
                history = stored.history(conn)
                known = next((p for p in history if p.notice.version == notice.version), None)
                if known is not None:
                    if known.notice.digest != notice.digest:
                        raise Conflict(
                            f"Notice version {notice.version} was published with other "
                            "content; give the changed notice a new version."
                        )
                    if known is not history[-1]:
                        raise Conflict(
                            f"Notice version {notice.version} is older than the published "
                            f"version {history[-1].notice.version}; publish a new version."
                        )
                    self._remember(history)
                    return known
                previous = history[-1].notice if history else None
                changes = material_changes(previous, notice)
                try:
                    stored.add(conn, notice, changes, self.clock())
                except IntegrityError:
                    # Another worker published the same version at the same moment.
                    continue
                if self.audit is not None:
                    self.audit.append(
                        conn,
                        AuditAction.NOTICE_PUBLISHED,
                        detail={
                            "version": notice.version,
                            "digest": notice.digest,
                            "previous": previous.version if previous is not None else None,
                            "material_changes": {k: list(v) for k, v in changes.items()},
                        },
                    )
            self.refresh()
            return self._history[-1]
        return self.refresh()[-1]

    def refresh(self) -> list[PublishedNotice]:
        with self.store.reading() as conn:
            history = stored.history(conn)
        self._remember(history)
        return history

    def _remember(self, history: list[PublishedNotice]) -> None:
        if not history:
            return
        catalog = catalog_in_force(history)
        with self._lock:
            self._history, self._catalog = history, catalog
            self._checked = time.monotonic()

    def _fresh(self, conn: Connection | None = None) -> None:
        if time.monotonic() - self._checked <= CACHE_SECONDS and self._catalog is not None:
            return
        if conn is None:
            with self.store.reading() as own:
                latest = stored.latest_sequence(own)
        else:
            latest = stored.latest_sequence(conn)
        if not self._history or latest != self._history[-1].sequence:
            self.refresh()
        else:
            self._checked = time.monotonic()

    def catalog(self, conn: Connection | None = None) -> PurposeCatalog:
        self._fresh(conn)
        assert self._catalog is not None
        return self._catalog

    def current(self, conn: Connection | None = None) -> PublishedNotice:
        self._fresh(conn)
        return self._history[-1]

    def history(self) -> list[PublishedNotice]:
        self._fresh()
        return list(self._history)
