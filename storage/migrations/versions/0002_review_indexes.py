"""indexes for the review app's article lists and search

On PostgreSQL: pg_trgm and a GIN trigram index on articles.search_text (substring search
``LIKE '%cai cach%'`` uses it), GIN (jsonb_path_ops) indexes on the JSON label lists for
``@>`` filters, and (relevance_score, id) for the score-sorted keyset.
On SQLite: plain b-tree indexes; search is a LIKE scan over search_text (measured fine at
the sizes an SQLite deployment holds, see docs/webapp.md).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_LISTS = ("themes", "provinces", "provinces_current", "ministries", "ministries_current")


def upgrade() -> None:
    bind = op.get_bind()
    op.create_index("ix_articles_score_id", "articles", ["relevance_score", "id"])
    op.create_index("ix_articles_sentiment", "articles", ["sentiment"])
    op.create_index("ix_crawl_source_stats_outlet_run", "crawl_source_stats", ["outlet_id", "run_id"])
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_articles_search_trgm ON articles USING gin (search_text gin_trgm_ops)")
        for column in JSON_LISTS:
            op.execute(f"CREATE INDEX ix_articles_{column}_gin ON articles USING gin ({column} jsonb_path_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for column in JSON_LISTS:
            op.execute(f"DROP INDEX IF EXISTS ix_articles_{column}_gin")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_trgm")
    op.drop_index("ix_crawl_source_stats_outlet_run", table_name="crawl_source_stats")
    op.drop_index("ix_articles_sentiment", table_name="articles")
    op.drop_index("ix_articles_score_id", table_name="articles")
