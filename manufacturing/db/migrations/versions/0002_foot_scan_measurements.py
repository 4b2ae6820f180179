"""foot scan measurements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:20:34.004418
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('side', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('units_detected', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('measurements', sa.JSON(), nullable=True))




def downgrade() -> None:
    
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.drop_column('measurements')
        batch_op.drop_column('units_detected')
        batch_op.drop_column('side')


