"""Persistence: the database (SQLAlchemy 2 + Alembic) and the content-addressed blob store."""
