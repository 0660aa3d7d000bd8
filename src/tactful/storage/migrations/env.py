"""Alembic environment: runs on the connection handed over by `tactful.storage.database`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from tactful.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set sqlalchemy.url or hand over a connection.")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
