"""ledger interval seals (published outside the database) and the spans of entries each one covers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_seal',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('leaves', sa.Integer(), nullable=False),
    sa.Column('pairs', sa.Integer(), nullable=False),
    sa.Column('seal_hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_ledger_seal'))
    )
    op.create_table('ledger_seal_span',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seal_number', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('hashes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_ledger_seal_span_pair_id_pair')),
    sa.ForeignKeyConstraint(['seal_number'], ['ledger_seal.number'],
                            name=op.f('fk_ledger_seal_span_seal_number_ledger_seal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_seal_span')),
    sa.UniqueConstraint('pair_id', 'first_seq', name='uq_ledger_seal_span_pair_first')
    )
    with op.batch_alter_table('ledger_seal_span', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_seal_span_seal_number'), ['seal_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_seal_span', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_seal_span_seal_number'))
    op.drop_table('ledger_seal_span')
    op.drop_table('ledger_seal')
