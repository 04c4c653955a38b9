"""Alerts: their definitions and the history of their firings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False, server_default=""),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False, server_default=""),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("acknowledged", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("account", "number", name="uq_alerts_account_number"),
    )
    op.create_table(
        "alert_firings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False, server_default=""),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("time_msc", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("order_client_id", sa.String(64), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_alert_firings"),
    )
    op.create_index("ix_alert_firings_number", "alert_firings", ["number"])
    op.create_index("ix_alert_firings_time_msc", "alert_firings", ["time_msc"])


def downgrade() -> None:
    op.drop_index("ix_alert_firings_time_msc", table_name="alert_firings")
    op.drop_index("ix_alert_firings_number", table_name="alert_firings")
    op.drop_table("alert_firings")
    op.drop_table("alerts")
