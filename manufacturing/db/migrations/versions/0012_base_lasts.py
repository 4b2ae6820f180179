"""base lasts: a shop's own scanned lasts, imported as parametric lasts with a shape field

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('base_last',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('style', sa.String(length=64), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_filename', sa.String(length=255), nullable=False),
    sa.Column('source_format', sa.String(length=8), nullable=False),
    sa.Column('units', sa.String(length=4), nullable=False),
    sa.Column('scanned_side', sa.String(length=8), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('landmarks', sa.JSON(), nullable=False),
    sa.Column('measured', sa.JSON(), nullable=False),
    sa.Column('deviation_p95_mm', sa.Float(), nullable=False),
    sa.Column('deviation_max_mm', sa.Float(), nullable=False),
    sa.Column('deviation_max_off_feather_mm', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_last')),
    sa.UniqueConstraint('name', name=op.f('uq_base_last_name'))
    )
    with op.batch_alter_table('base_last', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_last_source_sha256'), ['source_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_base_last_style'), ['style'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('base_last', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_last_style'))
        batch_op.drop_index(batch_op.f('ix_base_last_source_sha256'))
    op.drop_table('base_last')
