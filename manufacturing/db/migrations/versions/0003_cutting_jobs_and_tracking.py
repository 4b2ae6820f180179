"""cutting jobs (nest, cut files, lease) and pair tracking events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:20:04.885257
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cutting_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_key', sa.String(length=64), nullable=False),
    sa.Column('material', sa.String(length=64), nullable=False),
    sa.Column('container_kind', sa.Enum('hide', 'roll', name='containerkind', native_enum=False, length=32), nullable=False),
    sa.Column('container_ref', sa.String(length=100), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('placed_area_mm2', sa.Float(), nullable=False),
    sa.Column('consumed_area_mm2', sa.Float(), nullable=False),
    sa.Column('utilisation', sa.Float(), nullable=False),
    sa.Column('dxf_artifact_id', sa.Integer(), nullable=False),
    sa.Column('plt_artifact_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'claimed', 'cutting', 'done', 'failed', name='cuttingjobstate', native_enum=False, length=32), nullable=False),
    sa.Column('machine_id', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dxf_artifact_id'], ['artifact.id'], name=op.f('fk_cutting_job_dxf_artifact_id_artifact')),
    sa.ForeignKeyConstraint(['plt_artifact_id'], ['artifact.id'], name=op.f('fk_cutting_job_plt_artifact_id_artifact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cutting_job')),
    sa.UniqueConstraint('job_key', name=op.f('uq_cutting_job_job_key'))
    )
    with op.batch_alter_table('cutting_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cutting_job_state'), ['state'], unique=False)

    op.create_table('tracking_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_tracking_event_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_tracking_event_event_id'))
    )
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_event_pair_occurred', ['pair_id', 'occurred_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_event_pair_occurred')

    op.drop_table('tracking_event')
    with op.batch_alter_table('cutting_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cutting_job_state'))

    op.drop_table('cutting_job')
