"""The database store's schema as Alembic migrations (`pathways db init` runs them)."""
