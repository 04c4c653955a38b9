"""Scope orders and deals to a broker account; add snapshots, risk and settings audit.

A desk may share one journal across accounts, so a deal ticket is unique only
within its account, and recovery looks only at the connected account's orders.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("account", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("recovered_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_orders_account", ["account"])
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("account", sa.String(128), nullable=False, server_default=""))
        batch.drop_constraint("uq_deals_deal_ticket", type_="unique")
        batch.create_unique_constraint("uq_deals_account_deal_ticket", ["account", "deal_ticket"])

    op.create_table(
        "account_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("balance", sa.Double(), nullable=False),
        sa.Column("equity", sa.Double(), nullable=False),
        sa.Column("margin", sa.Double(), nullable=False),
        sa.Column("free_margin", sa.Double(), nullable=False),
        sa.Column("floating_pnl", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_snapshots"),
    )
    op.create_index("ix_account_snapshots_time", "account_snapshots", ["time"])

    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_risk_events"),
    )
    op.create_index("ix_risk_events_time", "risk_events", ["time"])

    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_settings_changes"),
    )
    op.create_index("ix_settings_changes_time", "settings_changes", ["time"])
    op.create_index("ix_settings_changes_key", "settings_changes", ["key"])


def downgrade() -> None:
    op.drop_table("settings_changes")
    op.drop_table("risk_events")
    op.drop_table("account_snapshots")
    with op.batch_alter_table("deals") as batch:
        batch.drop_constraint("uq_deals_account_deal_ticket", type_="unique")
        batch.create_unique_constraint("uq_deals_deal_ticket", ["deal_ticket"])
        batch.drop_column("account")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_account")
        batch.drop_column("recovered_at")
        batch.drop_column("account")
