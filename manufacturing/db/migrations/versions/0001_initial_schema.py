"""initial schema: customers, scans, designs, orders, pairs, artifacts, runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 03:59:42.082024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('artifact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=128), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('input_key', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('stage_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact')),
    sa.UniqueConstraint('input_key', 'stage', 'stage_version', 'kind', name='uq_artifact_output')
    )
    with op.batch_alter_table('artifact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_artifact_sha256'), ['sha256'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('email', name=op.f('uq_customer_email'))
    )
    op.create_table('customer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_order_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_order')),
    sa.UniqueConstraint('number', name=op.f('uq_customer_order_number'))
    )
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_order_customer_id'), ['customer_id'], unique=False)

    op.create_table('foot_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('upload_artifact_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_foot_scan_customer_id_customer')),
    sa.ForeignKeyConstraint(['upload_artifact_id'], ['artifact.id'], name=op.f('fk_foot_scan_upload_artifact_id_artifact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_foot_scan'))
    )
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_foot_scan_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_foot_scan_sha256'), ['sha256'], unique=False)

    op.create_table('design',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('design_key', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('foot_scan_id', sa.Integer(), nullable=True),
    sa.Column('style', sa.String(length=64), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_design_customer_id_customer')),
    sa.ForeignKeyConstraint(['foot_scan_id'], ['foot_scan.id'], name=op.f('fk_design_foot_scan_id_foot_scan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_design')),
    sa.UniqueConstraint('design_key', 'revision', name='uq_design_key_revision')
    )
    with op.batch_alter_table('design', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_design_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_design_design_key'), ['design_key'], unique=False)

    op.create_table('pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('design_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['design_id'], ['design.id'], name=op.f('fk_pair_design_id_design')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_pair_order_id_customer_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pair')),
    sa.UniqueConstraint('serial', name=op.f('uq_pair_serial'))
    )
    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pair_design_id'), ['design_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pair_order_id'), ['order_id'], unique=False)

    op.create_table('pipeline_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'succeeded', 'failed', name='runstate', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_pipeline_run_pair_id_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_run'))
    )
    with op.batch_alter_table('pipeline_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_run_pair_id'), ['pair_id'], unique=False)

    op.create_table('stage_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pipeline_run_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('stage_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('running', 'succeeded', 'reused', 'retrying', 'failed', name='stagestate', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Double(), nullable=True),
    sa.Column('artifact_ids', sa.JSON(), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('error_details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['pipeline_run_id'], ['pipeline_run.id'], name=op.f('fk_stage_run_pipeline_run_id_pipeline_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_run')),
    sa.UniqueConstraint('pipeline_run_id', 'stage', name='uq_stage_run_stage')
    )
    with op.batch_alter_table('stage_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_run_pipeline_run_id'), ['pipeline_run_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('stage_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_run_pipeline_run_id'))

    op.drop_table('stage_run')
    with op.batch_alter_table('pipeline_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pipeline_run_pair_id'))

    op.drop_table('pipeline_run')
    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pair_order_id'))
        batch_op.drop_index(batch_op.f('ix_pair_design_id'))

    op.drop_table('pair')
    with op.batch_alter_table('design', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_design_design_key'))
        batch_op.drop_index(batch_op.f('ix_design_customer_id'))

    op.drop_table('design')
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_foot_scan_sha256'))
        batch_op.drop_index(batch_op.f('ix_foot_scan_customer_id'))

    op.drop_table('foot_scan')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_order_customer_id'))

    op.drop_table('customer_order')
    op.drop_table('customer')
    with op.batch_alter_table('artifact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_artifact_sha256'))

    op.drop_table('artifact')

