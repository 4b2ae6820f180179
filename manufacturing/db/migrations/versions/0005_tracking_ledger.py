"""tracking ledger (hash-chained entries, heads, daily Merkle roots) and duration statistics

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_ledger_entry_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('pair_id', 'seq', name='uq_ledger_entry_pair_seq')
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entry_day'), ['day'], unique=False)

    op.create_table('ledger_head',
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_ledger_head_pair_id_pair')),
    sa.PrimaryKeyConstraint('pair_id', name=op.f('pk_ledger_head'))
    )
    op.create_table('merkle_root',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('leaves', sa.Integer(), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merkle_root')),
    sa.UniqueConstraint('day', name=op.f('uq_merkle_root_day'))
    )
    op.create_table('duration_stat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_centre', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('median_minutes', sa.Float(), nullable=False),
    sa.Column('mad_minutes', sa.Float(), nullable=False),
    sa.Column('samples', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duration_stat')),
    sa.UniqueConstraint('work_centre', 'operation', 'kind', name='uq_duration_stat_key')
    )


def downgrade() -> None:
    op.drop_table('duration_stat')
    op.drop_table('merkle_root')
    op.drop_table('ledger_head')
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_day'))

    op.drop_table('ledger_entry')
