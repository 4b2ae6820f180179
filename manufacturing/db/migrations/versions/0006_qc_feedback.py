"""QC inspections (with their template copy) and results, fit feedback and last revisions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qc_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint', sa.String(length=32), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('template_code', sa.String(length=64), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('template_sha256', sa.String(length=64), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('defect_codes', sa.JSON(), nullable=False),
    sa.Column('rework_to', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_qc_inspection_pair_id_pair')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_qc_inspection_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qc_inspection')),
    sa.UniqueConstraint('pair_id', 'checkpoint', 'attempt', name='uq_qc_inspection_attempt')
    )
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qc_inspection_pair_id'), ['pair_id'], unique=False)

    op.create_table('qc_inspection_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('defect_code', sa.String(length=32), nullable=True),
    sa.Column('photo_artifact_ids', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['qc_inspection.id'], name=op.f('fk_qc_inspection_result_inspection_id_qc_inspection')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qc_inspection_result')),
    sa.UniqueConstraint('inspection_id', 'item_code', name='uq_qc_inspection_result_item')
    )
    with op.batch_alter_table('qc_inspection_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qc_inspection_result_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('fit_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('style', sa.String(length=64), nullable=False),
    sa.Column('design_key', sa.String(length=36), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_fit_feedback_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fit_feedback')),
    sa.UniqueConstraint('pair_id', name=op.f('uq_fit_feedback_pair_id'))
    )
    with op.batch_alter_table('fit_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fit_feedback_style'), ['style'], unique=False)

    op.create_table('last_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_key', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('style', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('measured', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('max_error_mm', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('feedback_id', sa.Integer(), nullable=True),
    sa.Column('artifact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifact.id'], name=op.f('fk_last_revision_artifact_id_artifact')),
    sa.ForeignKeyConstraint(['feedback_id'], ['fit_feedback.id'], name=op.f('fk_last_revision_feedback_id_fit_feedback')),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_last_revision_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_last_revision')),
    sa.UniqueConstraint('last_key', 'revision', name='uq_last_revision_key_revision')
    )
    with op.batch_alter_table('last_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_last_revision_last_key'), ['last_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('last_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_last_revision_last_key'))

    op.drop_table('last_revision')
    with op.batch_alter_table('fit_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fit_feedback_style'))

    op.drop_table('fit_feedback')
    with op.batch_alter_table('qc_inspection_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qc_inspection_result_inspection_id'))

    op.drop_table('qc_inspection_result')
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qc_inspection_pair_id'))

    op.drop_table('qc_inspection')
