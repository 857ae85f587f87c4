"""Store the language a patient wrote in, the consultation language and interpreter wish

Requests stored before this revision were written in English.

Revision ID: dd7921984eb8
Revises: 3c7d97712bd1
Create Date: 2026-11-28 00:24:31.350401

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dd7921984eb8'
down_revision = '3c7d97712bd1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('consultation_language', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('interpreter', sa.String(length=8), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_column('interpreter')
        batch_op.drop_column('consultation_language')
        batch_op.drop_column('language')

