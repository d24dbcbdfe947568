"""Migrations upgrade -> downgrade -> upgrade on SQLite and on the real PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dashboard.data import migrate
from dashboard.data.db import make_engine
from dashboard.data.models import Base

HEAD = "0007_audit_events"
ASSUMPTIONS_MIGRATION = "0006_assumption_sets"
PRICE_IMPORTS_MIGRATION = "0005_price_imports"
EPOCH_MIGRATION = "0004_session_epoch"
GOALS_MIGRATION = "0003_goals_version"
INDEX_MIGRATION = "0002_performance_indexes"
SCHEMA_MIGRATION = "0001_schema"
TABLE_NAMES = {t.name for t in Base.metadata.sorted_tables}


def _secondary_indexes(engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    # PostgreSQL reports the index behind each unique constraint too; those belong to 0001.
    return {
        t: {ix["name"] for ix in inspector.get_indexes(t) if not ix.get("duplicates_constraint")}
        for t in inspector.get_table_names()
        if t != "alembic_version"
    }


def _roundtrip(settings):
    engine = make_engine(settings.database_url, poolclass=sa.pool.NullPool)
    migrate.upgrade(settings)
    assert migrate.current_revision(engine) == HEAD
    assert set(sa.inspect(engine).get_table_names()) == TABLE_NAMES | {"alembic_version"}
    indexes = _secondary_indexes(engine)
    total = sum(len(names) for names in indexes.values())
    assert total >= 25, indexes
    assert sum(1 for names in indexes.values() if names) >= 12
    # The migrated schema is exactly what the models declare (tables, columns, indexes).
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []

    migrate.downgrade(settings, ASSUMPTIONS_MIGRATION)
    assert "audit_events" not in sa.inspect(engine).get_table_names()
    migrate.downgrade(settings, PRICE_IMPORTS_MIGRATION)
    assert "assumption_sets" not in sa.inspect(engine).get_table_names()
    migrate.downgrade(settings, EPOCH_MIGRATION)
    assert "price_imports" not in sa.inspect(engine).get_table_names()
    migrate.downgrade(settings, GOALS_MIGRATION)
    assert "session_epoch" not in {c["name"] for c in sa.inspect(engine).get_columns("users")}
    migrate.downgrade(settings, INDEX_MIGRATION)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("households")}
    assert "goals_version" not in columns and "data_version" in columns
    migrate.downgrade(settings, SCHEMA_MIGRATION)
    assert migrate.current_revision(engine) == SCHEMA_MIGRATION
    assert sum(len(n) for n in _secondary_indexes(engine).values()) == 0
    migrate.downgrade(settings, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(settings)
    assert sum(len(n) for n in _secondary_indexes(engine).values()) == total
    engine.dispose()


def test_mig001_sqlite_upgrade_downgrade_upgrade(settings):
    _roundtrip(settings)


@pytest.mark.postgres
def test_mig002_postgres_upgrade_downgrade_upgrade(settings, postgres_url):
    _roundtrip(settings.replace(database_url=postgres_url))


@pytest.mark.postgres
def test_mig003_postgres_indexes_are_built_concurrently(settings, postgres_url):
    """CONCURRENTLY is only legal outside a transaction: the offline SQL shows it is emitted."""
    import io

    from alembic import command

    config = migrate.alembic_config(settings.replace(database_url=postgres_url))
    buffer = io.StringIO()
    config.output_buffer = buffer
    command.upgrade(config, f"{SCHEMA_MIGRATION}:{INDEX_MIGRATION}", sql=True)
    sql = buffer.getvalue()
    assert sql.count("CREATE INDEX CONCURRENTLY") + sql.count("CREATE UNIQUE INDEX CONCURRENTLY") >= 25
    # and the live migration really succeeded with them (valid indexes only)
    migrate.upgrade(settings.replace(database_url=postgres_url))
    engine = make_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        invalid = conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar_one()
    engine.dispose()
    assert invalid == 0
