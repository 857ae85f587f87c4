"""Staff accounts by invitation: one-time set-up links, outbox emails about no request, device cookies

An administrator adds a person by email and they choose their own password from a one-time link (only its
hash is kept on the account); "Reset two-step" sends such a link too. The link's email is an outbox row
about a staff account, so a notification's request becomes optional. A failed sign-in records the trusted
device it came from (OWASP device cookies), so the per-account ceiling counts only untrusted clients.

Revision ID: c4d81f0e93ab
Revises: b19c4e7a2f60
Create Date: 2026-12-06 05:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d81f0e93ab'
down_revision = 'b19c4e7a2f60'
branch_labels = None
depends_on = None


def upgrade():
    # Added in place (no table rebuild), so staff_user keeps its AUTOINCREMENT on SQLite.
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('setup_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_staff_user_setup_token_hash'), ['setup_token_hash'], unique=True)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_column('device')
    op.execute("DELETE FROM notification WHERE request_id IS NULL")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_user_setup_token_hash'))
    # On SQLite dropping a column rebuilds the table: say AUTOINCREMENT again, as b19c4e7a2f60 left it.
    rebuild = {'recreate': 'always', 'table_kwargs': {'sqlite_autoincrement': True}} \
        if op.get_bind().dialect.name == 'sqlite' else {}
    with op.batch_alter_table('staff_user', schema=None, **rebuild) as batch_op:
        batch_op.drop_column('setup_expires_at')
        batch_op.drop_column('setup_token_hash')
