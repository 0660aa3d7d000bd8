"""Storage adapter: SQLAlchemy tables, Alembic migrations and the repository the service uses."""
