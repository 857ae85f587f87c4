"""Every state column refuses a typo (named CHECK constraints); 'no value' is NULL, not ''.

Revision ID: 425e6f9ca0c4
Revises: 5f2ac14a223e
Create Date: 2026-11-26 10:00:00

The allowed values are written out here, not imported from booking.states, so this revision keeps
meaning what it meant when a later one adds a state.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '425e6f9ca0c4'
down_revision = '5f2ac14a223e'
branch_labels = None
depends_on = None

REQUEST_STATUSES = ('new', 'contacted', 'scheduled', 'closed')
CLOSE_REASONS = ('booked', 'booked_elsewhere', 'not_suitable', 'no_answer', 'declined', 'duplicate', 'other')
NOTIFICATION_STATUSES = ('pending', 'sent', 'refused')

# (table, column, length, allowed values, may be NULL)
STATE_COLUMNS = [
    ('consultation_request', 'status', 16, REQUEST_STATUSES, False),
    ('consultation_request', 'closed_reason', 32, CLOSE_REASONS, True),
    ('notification', 'status', 16, NOTIFICATION_STATUSES, False),
    ('request_event', 'from_status', 16, REQUEST_STATUSES, True),
    ('request_event', 'to_status', 16, REQUEST_STATUSES, True),
    ('request_event', 'closed_reason', 32, CLOSE_REASONS, True),
]


def _check(column, values):
    """The same condition SQLAlchemy's Enum(create_constraint=True) writes for the models."""
    return sa.column(column).in_(values)


def _tables():
    return sorted({table for table, *_ in STATE_COLUMNS})


def upgrade():
    # 1. Columns that used '' for "none" may now hold NULL.
    for table in _tables():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, length, _values, nullable in _columns_of(table):
                if nullable:
                    batch_op.alter_column(column, existing_type=sa.String(length=length), nullable=True,
                                          existing_server_default=None, server_default=None)
    # 2. '' becomes NULL, so the CHECK need allow nothing but the real values.
    for table, column, _length, _values, nullable in STATE_COLUMNS:
        if nullable:
            rows = sa.table(table, sa.column(column, sa.String))
            op.execute(rows.update().where(rows.c[column] == '').values({column: None}))
    # 3. The named CHECK constraints.
    for table in _tables():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, _length, values, _nullable in _columns_of(table):
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}'), _check(column, values))


def downgrade():
    for table in _tables():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, _length, _values, _nullable in _columns_of(table):
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
    for table, column, _length, _values, nullable in STATE_COLUMNS:
        if nullable:
            rows = sa.table(table, sa.column(column, sa.String))
            op.execute(rows.update().where(rows.c[column].is_(None)).values({column: ''}))
    for table in _tables():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, length, _values, nullable in _columns_of(table):
                if nullable:
                    # 5f2ac14a223e gave consultation_request.closed_reason a server default of ''.
                    default = '' if table == 'consultation_request' else None
                    batch_op.alter_column(column, existing_type=sa.String(length=length), nullable=False,
                                          server_default=default)


def _columns_of(table):
    return [entry for entry in STATE_COLUMNS if entry[0] == table]
