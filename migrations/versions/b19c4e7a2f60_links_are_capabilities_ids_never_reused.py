"""Patient links are capabilities: stored waitlist offers, unique manage nonces, ids never reused on SQLite

Waitlist links become one random token per offer (waitlist_offer), used once and expiring; a manage link is
the appointment's manage_nonce alone, so it must be unique. On SQLite, tables whose ids ever reached a link,
an email or a session are rebuilt with AUTOINCREMENT, so an erased row's id is never given to someone else.

Revision ID: b19c4e7a2f60
Revises: c5d1a9e3f702
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b19c4e7a2f60'
down_revision = 'c5d1a9e3f702'
branch_labels = None
depends_on = None

NEVER_REUSED = ['consultation_request', 'staff_user', 'appointment', 'waitlist_entry']


def _rebuild_on_sqlite(autoincrement: bool) -> None:
    """SQLite says AUTOINCREMENT only when a table is created: batch mode copies each into a new one.

    The last batch operation on each of these tables: a later one would rebuild it from its reflection,
    which does not carry AUTOINCREMENT.
    """
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in NEVER_REUSED:
        with op.batch_alter_table(table, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_appointment_manage_nonce'), ['manage_nonce'])
    _rebuild_on_sqlite(True)
    op.create_table('waitlist_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'],
                            name=op.f('fk_waitlist_offer_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'],
                            name=op.f('fk_waitlist_offer_request_id_consultation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offer')),
    sa.UniqueConstraint('token', name=op.f('uq_waitlist_offer_token')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('waitlist_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_offer_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('waitlist_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waitlist_offer_request_id'))
    op.drop_table('waitlist_offer')
    _rebuild_on_sqlite(False)
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_appointment_manage_nonce'), type_='unique')
