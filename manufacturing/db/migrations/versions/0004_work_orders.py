"""work centres, workers, work orders and their operations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:41:08.371875
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_centre',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('stations', sa.Integer(), nullable=False),
    sa.Column('speed', sa.Float(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('shifts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_centre')),
    sa.UniqueConstraint('code', name=op.f('uq_work_centre_code'))
    )
    with op.batch_alter_table('work_centre', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_centre_kind'), ['kind'], unique=False)

    op.create_table('worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('shift', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker')),
    sa.UniqueConstraint('code', name=op.f('uq_worker_code'))
    )
    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('routing', sa.JSON(), nullable=False),
    sa.Column('bom', sa.JSON(), nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('routing_version', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_work_order_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order')),
    sa.UniqueConstraint('pair_id', name=op.f('uq_work_order_pair_id'))
    )
    op.create_table('work_order_operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('skill', sa.String(length=32), nullable=False),
    sa.Column('standard_minutes', sa.Float(), nullable=False),
    sa.Column('planned_centre', sa.String(length=64), nullable=True),
    sa.Column('planned_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_end', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_work_order_operation_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_operation')),
    sa.UniqueConstraint('work_order_id', 'seq', name='uq_work_order_operation_seq')
    )
    with op.batch_alter_table('work_order_operation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_operation_work_order_id'), ['work_order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_order_operation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_operation_work_order_id'))

    op.drop_table('work_order_operation')
    op.drop_table('work_order')
    op.drop_table('worker')
    with op.batch_alter_table('work_centre', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_centre_kind'))

    op.drop_table('work_centre')
