"""Create consultation_request and its notification outbox.

Revision ID: f80bafb7f453
Revises: 
Create Date: 2026-11-24 22:08:15.589817

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f80bafb7f453'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultation_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('contact_method', sa.String(length=16), nullable=False),
    sa.Column('condition', sa.String(length=32), nullable=False),
    sa.Column('condition_other', sa.String(length=120), nullable=False),
    sa.Column('body_area', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('duration', sa.String(length=32), nullable=False),
    sa.Column('pain_level', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('had_dry_needling', sa.String(length=16), nullable=False),
    sa.Column('screening_flags', sa.JSON(), nullable=False),
    sa.Column('preferred_days', sa.JSON(), nullable=False),
    sa.Column('preferred_times', sa.JSON(), nullable=False),
    sa.Column('consent_contact', sa.Boolean(), nullable=False),
    sa.Column('consent_privacy', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_consultation_request_reference')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_consultation_request_submission_token'))
    )
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_request_created_at'), ['created_at'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_notification_request_id_consultation_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('message_id', name=op.f('uq_notification_message_id'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_status'))
        batch_op.drop_index(batch_op.f('ix_notification_request_id'))
        batch_op.drop_index(batch_op.f('ix_notification_next_attempt_at'))

    op.drop_table('notification')
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_request_created_at'))

    op.drop_table('consultation_request')
