"""the BODACC watch: announcements proposed as insolvency holds, and when each debtor was last checked

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

`bodacc_finding` keeps each opening of proceedings the daily watch found for a debtor (once per debtor
and announcement) until a manager confirms it (recording the hold) or dismisses it; `bodacc_check`
keeps when each debtor was last looked up, so that a run the API cut short resumes with the others.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bodacc_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=False),
    sa.Column('announcement_id', sa.String(length=40), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('judgment_on', sa.Date(), nullable=True),
    sa.Column('famille', sa.String(length=200), nullable=False),
    sa.Column('nature', sa.String(length=500), nullable=False),
    sa.Column('court', sa.String(length=200), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'proposed') = (decided_at IS NULL)", name=op.f('ck_bodacc_finding_decided_when_not_proposed')),
    sa.CheckConstraint("status IN ('proposed', 'confirmed', 'dismissed')", name=op.f('ck_bodacc_finding_status_allowed')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_bodacc_finding_debtor_id_debtor')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_bodacc_finding_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['hold_id'], ['hold.id'], name=op.f('fk_bodacc_finding_hold_id_hold')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bodacc_finding')),
    sa.UniqueConstraint('debtor_id', 'announcement_id', name='uq_bodacc_finding_debtor_announcement')
    )
    with op.batch_alter_table('bodacc_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bodacc_finding_debtor_id'), ['debtor_id'], unique=False)

    op.create_table('bodacc_check',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_bodacc_check_debtor_id_debtor')),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_bodacc_check'))
    )


def downgrade():
    op.drop_table('bodacc_check')
    with op.batch_alter_table('bodacc_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bodacc_finding_debtor_id'))
    op.drop_table('bodacc_finding')
