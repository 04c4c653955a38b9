"""Scope risk events to a broker account, so a halt is restored only for its account.

A desk may share one journal across accounts; the trading state a start restores
(``Journal.last_trading_state``) must be the connected account's own. Rows from
before this revision keep an empty account and are restored for nobody.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_events") as batch:
        batch.add_column(sa.Column("account", sa.String(128), nullable=False, server_default=""))
        batch.create_index("ix_risk_events_account", ["account"])


def downgrade() -> None:
    with op.batch_alter_table("risk_events") as batch:
        batch.drop_index("ix_risk_events_account")
        batch.drop_column("account")
