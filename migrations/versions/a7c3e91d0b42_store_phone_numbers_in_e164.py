"""Store each patient's phone number in E.164 beside what they typed.

Revision ID: a7c3e91d0b42
Revises: 425e6f9ca0c4
Create Date: 2026-11-27 23:55:00

Rows stored before this revision get their E.164 form from the number as typed, read in
CLINIC_COUNTRY (default US); a number that cannot be read is left blank and still shown as typed.
"""
import os

from alembic import op
import phonenumbers
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d0b42'
down_revision = '425e6f9ca0c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_e164', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_consultation_request_phone_e164'), ['phone_e164'], unique=False)
    _backfill_e164()


def _backfill_e164():
    """Normalise the numbers already stored (a frozen copy of booking.phone, so later edits cannot change it)."""
    region = os.environ.get("CLINIC_COUNTRY", "US").strip().upper() or "US"
    requests = sa.table('consultation_request', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                        sa.column('phone_e164', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(requests.c.id, requests.c.phone).where(requests.c.phone != '')).all()
    for row_id, typed in rows:
        try:
            number = phonenumbers.parse(typed, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            normal = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            conn.execute(requests.update().where(requests.c.id == row_id).values(phone_e164=normal))


def downgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_request_phone_e164'))
        batch_op.drop_column('phone_e164')
