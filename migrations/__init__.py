"""The Alembic migrations, shipped as package data so an installed wheel can migrate (store/migrate.py)."""
