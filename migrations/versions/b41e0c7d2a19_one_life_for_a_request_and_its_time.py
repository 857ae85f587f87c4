"""One life for a request and its time: who moved it, the times it moved between, and what needs attention

Lines written before this revision were all written by staff, so a request's first line is its first action.

Revision ID: b41e0c7d2a19
Revises: 380f1f2ad4d8
Create Date: 2026-12-06 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b41e0c7d2a19'
down_revision = '380f1f2ad4d8'
branch_labels = None
depends_on = None

ACTORS = ('staff', 'patient', 'system')


def upgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_action_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attention_since', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consultation_request_attention_since'), ['attention_since'], unique=False)

    # Until now every line was a staff member's: the first line is the first action.
    requests = sa.table('consultation_request', sa.column('id', sa.Integer), sa.column('first_action_at', sa.DateTime))
    events = sa.table('request_event', sa.column('request_id', sa.Integer), sa.column('created_at', sa.DateTime))
    op.execute(requests.update().values(first_action_at=(
        sa.select(sa.func.min(events.c.created_at)).where(events.c.request_id == requests.c.id).scalar_subquery())))

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=16), nullable=False, server_default='staff'))
        batch_op.add_column(sa.Column('time_from', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('time_to', sa.DateTime(), nullable=True))
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        # The same condition SQLAlchemy's Enum(create_constraint=True) writes for the model.
        batch_op.create_check_constraint(op.f('ck_request_event_actor'), sa.column('actor').in_(ACTORS))


def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_request_event_actor'), type_='check')
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_column('time_to')
        batch_op.drop_column('time_from')
        batch_op.drop_column('actor')

    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_request_attention_since'))
        batch_op.drop_column('attention_since')
        batch_op.drop_column('first_action_at')
