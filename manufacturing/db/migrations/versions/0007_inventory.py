"""inventory: purchase orders and their lines, stock lots and the append-only stock movements

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_order_number'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_supplier'), ['supplier'], unique=False)

    op.create_table('purchase_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('unit_cost_eur', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_order.id'], name=op.f('fk_purchase_order_line_purchase_order_id_purchase_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_line'))
    )
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_line_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_line_purchase_order_id'), ['purchase_order_id'], unique=False)

    op.create_table('stock_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.String(length=64), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('batch', sa.String(length=100), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('unit_cost_eur', sa.Float(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purchase_order_line_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['purchase_order_line_id'], ['purchase_order_line.id'], name=op.f('fk_stock_lot_purchase_order_line_id_purchase_order_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lot'))
    )
    with op.batch_alter_table('stock_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_lot_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lot_purchase_order_line_id'), ['purchase_order_line_id'], unique=False)

    op.create_table('stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('cutting_job_id', sa.Integer(), nullable=True),
    sa.Column('demand_material_id', sa.String(length=64), nullable=True),
    sa.Column('variance', sa.Float(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cutting_job_id'], ['cutting_job.id'], name=op.f('fk_stock_movement_cutting_job_id_cutting_job')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lot.id'], name=op.f('fk_stock_movement_lot_id_stock_lot')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_stock_movement_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movement_material_occurred', ['material_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_cutting_job_id'), ['cutting_job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_work_order_id'), ['work_order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movement_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movement_lot_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movement_cutting_job_id'))
        batch_op.drop_index('ix_stock_movement_material_occurred')

    op.drop_table('stock_movement')
    with op.batch_alter_table('stock_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_lot_purchase_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_stock_lot_material_id'))

    op.drop_table('stock_lot')
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_purchase_order_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_material_id'))

    op.drop_table('purchase_order_line')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_supplier'))

    op.drop_table('purchase_order')
