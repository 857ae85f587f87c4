"""Practitioners, hours, time off, appointments with exclusive time cells, and the waitlist

Also the outbox's scheduled emails (send_after, for reminders), a payload for what an email is about,
and the 'withdrawn' notification state for an email its feature no longer needs.

Revision ID: 3c7d97712bd1
Revises: a7c3e91d0b42
Create Date: 2026-11-27 23:51:40.431002

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7d97712bd1'
down_revision = 'a7c3e91d0b42'
branch_labels = None
depends_on = None

# Written out, not imported: a migration must not change when the app's enums do.
NOTIFICATION_STATUSES = ('pending', 'sent', 'refused', 'withdrawn')


def upgrade():
    op.create_table('practitioner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('hours', sa.String(length=500), nullable=False),
    sa.Column('feed_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioner')),
    sa.UniqueConstraint('feed_token', name=op.f('uq_practitioner_feed_token')),
    sa.UniqueConstraint('name', name=op.f('uq_practitioner_name'))
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('held', 'offered', 'confirmed', 'cancelled', 'released', name='status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('manage_nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_appointment_ends_after_start')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_appointment_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_appointment_request_id_consultation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment')),
    sa.UniqueConstraint('request_id', name=op.f('uq_appointment_request_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_appointment_uid'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_status'), ['status'], unique=False)

    op.create_table('time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_time_off_ends_after_start')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_time_off_practitioner_id_practitioner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_off'))
    )
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_off_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('waitlist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'booked', 'left', name='status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_waitlist_entry_request_id_consultation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entry')),
    sa.UniqueConstraint('request_id', name=op.f('uq_waitlist_entry_request_id'))
    )
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entry_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entry_status'), ['status'], unique=False)

    op.create_table('booked_cell',
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_booked_cell_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_booked_cell_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('practitioner_id', 'starts_at', name=op.f('pk_booked_cell'))
    )
    with op.batch_alter_table('booked_cell', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booked_cell_appointment_id'), ['appointment_id'], unique=False)

    # Emails already queued were due when they were created.
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_after', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    rows = sa.table('notification', sa.column('send_after', sa.DateTime), sa.column('created_at', sa.DateTime))
    op.execute(rows.update().values(send_after=rows.c.created_at))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('send_after', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_notification_send_after'), ['send_after'], unique=False)
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'),
                                         sa.column('status').in_(NOTIFICATION_STATUSES))


def downgrade():
    # The older code has no state for "never send": a withdrawn email must not go out after all.
    rows = sa.table('notification', sa.column('status', sa.String))
    op.execute(rows.update().where(rows.c.status == 'withdrawn').values(status='sent'))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_status'),
                                         sa.column('status').in_(NOTIFICATION_STATUSES[:-1]))
        batch_op.drop_index(batch_op.f('ix_notification_send_after'))
        batch_op.drop_column('payload')
        batch_op.drop_column('send_after')

    with op.batch_alter_table('booked_cell', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booked_cell_appointment_id'))

    op.drop_table('booked_cell')
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waitlist_entry_status'))
        batch_op.drop_index(batch_op.f('ix_waitlist_entry_created_at'))

    op.drop_table('waitlist_entry')
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_off_practitioner_id'))

    op.drop_table('time_off')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_status'))
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_practitioner_id'))

    op.drop_table('appointment')
    op.drop_table('practitioner')
