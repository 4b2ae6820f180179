"""foot scans: what of the foot a scan holds, how its side was settled, the side the customer confirmed, a
foot made from typed measurements, the other foot of a two-foot file

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coverage', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('side_decision', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_side', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('typed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('other_foot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_foot_scan_other_foot_id_foot_scan'), 'foot_scan',
                                    ['other_foot_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('foot_scan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_foot_scan_other_foot_id_foot_scan'), type_='foreignkey')
        batch_op.drop_column('other_foot_id')
        batch_op.drop_column('typed')
        batch_op.drop_column('confirmed_side')
        batch_op.drop_column('side_decision')
        batch_op.drop_column('coverage')
