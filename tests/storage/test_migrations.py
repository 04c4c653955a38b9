"""Alembic migrations: an empty database and one at the previous schema both upgrade."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.storage import Journal
from app.storage.database import create_db_engine, current_revision, upgrade_schema
from app.storage.models import Base

TABLES = {
    "orders",
    "deals",
    "event_log",
    "account_snapshots",
    "risk_events",
    "settings_changes",
}


def test_an_empty_database_upgrades_to_the_latest_schema(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade_schema(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == "0005"
    engine.dispose()


def test_the_migrated_schema_is_exactly_what_the_models_describe(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade_schema(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_journal_at_the_previous_schema_upgrades_and_keeps_its_orders(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade_schema(engine, "0001")
    assert "risk_events" not in inspect(engine).get_table_names()
    now = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    with engine.begin() as connection:  # a row written by the old version of the app
        connection.execute(
            text(
                "INSERT INTO orders (client_id, action, symbol, side, order_type, volume, "
                "source, status, created_at, updated_at) VALUES ('old-1', 'open', 'EURUSD', "
                "'buy', 'market', 0.5, 'ticket', 'pending_new', :now, :now)"
            ),
            {"now": now.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO deals (deal_ticket, client_id, position_ticket, symbol, side, "
                "volume, price, time_msc, closes_position, realized_pnl) VALUES "
                "(77, 'old-1', 5, 'EURUSD', 'buy', 0.5, 1.1, 1000, false, 0)"
            )
        )
    engine.dispose()

    journal = Journal.open(db_url)  # the app's own start path runs the upgrade
    try:
        order = journal.order("old-1")
        assert order is not None and order.volume == 0.5 and order.created == now
        assert [d.deal_ticket for d in journal.deals()] == [77]
        # Rows from before accounts existed belong to the "" account and stay reachable.
        assert [o.client_id for o in journal.unresolved_orders()] == ["old-1"]
        journal.record_risk_event("test", "the new tables take writes")
    finally:
        journal.close()
    engine = create_db_engine(db_url)
    assert current_revision(engine) == "0005"
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_upgrading_twice_is_harmless(db_url: str) -> None:
    Journal.open(db_url).close()
    journal = Journal.open(db_url)
    journal.close()


def test_schema_head_constant_matches_the_newest_migration() -> None:
    """``SCHEMA_HEAD`` lets a start skip Alembic; it must never lag a new migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.storage.database import MIGRATIONS_DIR, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_a_journal_at_0003_upgrades_to_alerts_and_keeps_its_strategies(db_url: str) -> None:
    """0004 adds the alert tables; what 0003 held (strategy instances) is untouched."""
    engine = create_db_engine(db_url)
    upgrade_schema(engine, "0003")
    assert "alerts" not in inspect(engine).get_table_names()
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO strategy_instances (account, number, name, strategy, symbol, "
                "timeframe, params, budget, autostart, state, detached, created_at, updated_at) "
                "VALUES ('', 1, 'ma_cross#1', 'ma_cross', 'EURUSD', 'M1', '{}', '{}', false, "
                "'{}', false, :now, :now)"
            ),
            {"now": now.replace(tzinfo=None)},
        )
    engine.dispose()

    from app.domain.alert_facts import AlertFiring
    from app.domain.alerts import AlertSpec, Condition

    journal = Journal.open(db_url)
    try:
        assert [c.name for c, _state in journal.strategy_instances()] == ["ma_cross#1"]
        assert journal.alerts() == [] and journal.next_alert_number() == 1
        spec = AlertSpec("EURUSD", condition=Condition.CROSSES_UP, level=1.1)
        journal.save_alert(1, spec, enabled=True, generation=1, acknowledged=0)
        journal.record_alert_firing(AlertFiring(1, 1_000, 1, 1.1001, "crossed"), 1, durable=True)
        (stored,) = journal.alerts()
        assert (stored.spec, stored.count, stored.last) == (
            spec,
            1,
            AlertFiring(1, 1_000, 1, 1.1001, "crossed"),
        )
    finally:
        journal.close()
    engine = create_db_engine(db_url)
    assert current_revision(engine) == "0005"
    assert {"alerts", "alert_firings"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_alert_migration_downgrades_cleanly(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from app.storage.database import MIGRATIONS_DIR

    engine = create_db_engine(db_url)
    upgrade_schema(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    names = set(inspect(engine).get_table_names())
    assert "alerts" not in names and "alert_firings" not in names
    assert "strategy_instances" in names
    assert current_revision(engine) == "0003"
    engine.dispose()
