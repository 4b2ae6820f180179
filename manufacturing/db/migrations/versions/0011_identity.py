"""identity proofs (e-mailed verification links, walk-in claim codes; stored hashed) and accounts' verified address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('identity_proof',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['user_account.id'], name=op.f('fk_identity_proof_account_id_user_account')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_identity_proof_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_proof')),
    sa.UniqueConstraint('digest', name=op.f('uq_identity_proof_digest'))
    )
    with op.batch_alter_table('identity_proof', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_proof_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_proof_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_proof', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_proof_customer_id'))
        batch_op.drop_index(batch_op.f('ix_identity_proof_account_id'))
    op.drop_table('identity_proof')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
