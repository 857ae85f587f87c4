"""Add staff accounts, request history (audit trail), and the inbox's status/flag columns.

Revision ID: 5f2ac14a223e
Revises: f80bafb7f453
Create Date: 2026-11-24 22:19:12.695221

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f2ac14a223e'
down_revision = 'f80bafb7f453'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('closed_reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_request_event_request_id_consultation_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_request_event_staff_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        # Server defaults fill the rows that already exist.
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_consultation_request_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_request_flagged'), ['flagged'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_request_status'), ['status'], unique=False)

    _backfill_flagged()


def _backfill_flagged():
    """Requests stored before this revision: flagged when any screening answer other than 'none'."""
    requests = sa.table(
        'consultation_request',
        sa.column('id', sa.Integer),
        sa.column('screening_flags', sa.JSON),
        sa.column('flagged', sa.Boolean),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(requests.c.id, requests.c.screening_flags)).all()
    for row_id, flags in rows:
        if any(flag != 'none' for flag in (flags or [])):
            connection.execute(requests.update().where(requests.c.id == row_id).values(flagged=True))



def downgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_request_status'))
        batch_op.drop_index(batch_op.f('ix_consultation_request_flagged'))
        batch_op.drop_index(batch_op.f('ix_consultation_request_closed_at'))
        batch_op.drop_column('flagged')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('closed_reason')

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_request_id'))

    op.drop_table('request_event')
    op.drop_table('staff_user')
