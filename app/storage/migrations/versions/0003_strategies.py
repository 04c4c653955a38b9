"""Strategies: who owns each order and deal, and the attached strategy instances.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("owner", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("owner", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "strategy_instances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False, server_default=""),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("budget", sa.Text(), nullable=False),
        sa.Column("autostart", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("detached", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_strategy_instances"),
        sa.UniqueConstraint("account", "number", name="uq_strategy_instances_account_number"),
    )


def downgrade() -> None:
    op.drop_table("strategy_instances")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("owner")
