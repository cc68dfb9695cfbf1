"""Storage: SQLAlchemy models, engine/session helpers, migrations, repositories and queries."""
