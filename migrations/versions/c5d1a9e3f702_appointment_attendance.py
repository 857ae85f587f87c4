"""Appointment attendance (arrived, no-show or cancelled late, and when marked), and when it was confirmed

Times confirmed before this revision have no confirmed_at: when they were confirmed was not kept.

Revision ID: c5d1a9e3f702
Revises: d59d099af19b
Create Date: 2026-12-06 05:00:00

The allowed values are written out here, not imported from booking.states, so this revision keeps
meaning what it meant when a later one adds a value.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d1a9e3f702'
down_revision = 'd59d099af19b'
branch_labels = None
depends_on = None

ATTENDANCE = ('arrived', 'no_show', 'cancelled_late')


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attendance_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointment_attendance'), ['attendance'], unique=False)
        # The same condition SQLAlchemy's Enum(create_constraint=True) writes for the model, by its name.
        batch_op.create_check_constraint(op.f('ck_appointment_attendance'), sa.column('attendance').in_(ATTENDANCE))


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_appointment_attendance'), type_='check')
        batch_op.drop_index(batch_op.f('ix_appointment_attendance'))
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('attendance_at')
        batch_op.drop_column('attendance')
