"""A maintained progress summary per pair (pair_progress) and the index its freshness check reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left empty on purpose: the first read of each pair recomputes its summary from its events and stores it.
    op.create_table('pair_progress',
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('current_operation', sa.String(length=64), nullable=True),
    sa.Column('done_fraction', sa.Float(), nullable=True),
    sa.Column('material_reserved', sa.Boolean(), nullable=False),
    sa.Column('operations', sa.JSON(), nullable=False),
    sa.Column('shortages', sa.JSON(), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen', sa.JSON(), nullable=True),
    sa.Column('invalid_count', sa.Integer(), nullable=False),
    sa.Column('invalid_events', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_pair_progress_pair_id_pair')),
    sa.PrimaryKeyConstraint('pair_id', name=op.f('pk_pair_progress'))
    )
    with op.batch_alter_table('pair_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pair_progress_state'), ['state'], unique=False)
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_event_pair_id_id', ['pair_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_event_pair_id_id')
    with op.batch_alter_table('pair_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pair_progress_state'))
    op.drop_table('pair_progress')
