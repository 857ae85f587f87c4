"""Practitioners' public title and credentials, and a short bio, for patients to read (both optional)

Revision ID: e8a4c6b2d913
Revises: c4d81f0e93ab
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8a4c6b2d913'
down_revision = 'c4d81f0e93ab'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_title', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('bio', sa.String(length=600), nullable=True))


def downgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('bio')
        batch_op.drop_column('public_title')
