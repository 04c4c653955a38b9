"""The first journal: orders with their outcome, deals, and the event log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("position_ticket", sa.BigInteger(), nullable=True),
        sa.Column("broker_ticket", sa.BigInteger(), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("volume", sa.Double(), nullable=False),
        sa.Column("price", sa.Double(), nullable=True),
        sa.Column("stop_limit", sa.Double(), nullable=True),
        sa.Column("sl", sa.Double(), nullable=True),
        sa.Column("tp", sa.Double(), nullable=True),
        sa.Column("comment", sa.String(255), nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filled_volume", sa.Double(), nullable=False, server_default="0"),
        sa.Column("fill_price", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("client_id", name="uq_orders_client_id"),
    )
    op.create_index("ix_orders_symbol", "orders", ["symbol"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])

    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deal_ticket", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("position_ticket", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("volume", sa.Double(), nullable=False),
        sa.Column("price", sa.Double(), nullable=False),
        sa.Column("time_msc", sa.BigInteger(), nullable=False),
        sa.Column("closes_position", sa.Boolean(), nullable=False),
        sa.Column("realized_pnl", sa.Double(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
        sa.UniqueConstraint("deal_ticket", name="uq_deals_deal_ticket"),
    )
    op.create_index("ix_deals_client_id", "deals", ["client_id"])
    op.create_index("ix_deals_symbol", "deals", ["symbol"])
    op.create_index("ix_deals_time_msc", "deals", ["time_msc"])

    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_event_log"),
    )
    op.create_index("ix_event_log_time", "event_log", ["time"])
    op.create_index("ix_event_log_client_id", "event_log", ["client_id"])


def downgrade() -> None:
    op.drop_table("event_log")
    op.drop_table("deals")
    op.drop_table("orders")
