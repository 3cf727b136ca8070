"""contact details kept by staff, returned letters, debtors' attachments

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-06

A contact point keeps the day its source gave it, a window envelope's recipient line, the day a letter to it came
back and the point that corrected it; a letter keeps the day La Poste returned it and who recorded it, with an index
for the "find a new address" list; a debtor has attachments of its own.

`contact_point` gains plain columns only (ALTER TABLE ADD COLUMN on both databases): a batch copy of the table on
SQLite would drop the triggers of migration 0011 that keep its `debtor_id` frozen. Its statuses are unchanged: a
returned address is `bounced`, a corrected point `inactive`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0051'
down_revision = '0050'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contact_point', sa.Column('learned_on', sa.Date(), nullable=True))
    op.add_column('contact_point', sa.Column('name_line', sa.String(length=38), server_default='', nullable=False))
    op.add_column('contact_point', sa.Column('returned_on', sa.Date(), nullable=True))
    op.add_column('contact_point', sa.Column('superseded_by_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('returned_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letter_returned_by_id_user_account'), 'user_account',
                                    ['returned_by_id'], ['id'])
        batch_op.create_index('ix_letter_returned', ['returned_on', 'case_id'], unique=False,
                              postgresql_where=sa.text('returned_on IS NOT NULL'),
                              sqlite_where=sa.text('returned_on IS NOT NULL'))
    op.create_table('debtor_attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_debtor_attachment_size_positive')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtor.id'], name=op.f('fk_debtor_attachment_debtor_id_debtor')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                            name=op.f('fk_debtor_attachment_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debtor_attachment'))
    )
    with op.batch_alter_table('debtor_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_debtor_attachment_debtor', ['debtor_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('debtor_attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_debtor_attachment_debtor')
    op.drop_table('debtor_attachment')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_returned')
        batch_op.drop_constraint(batch_op.f('fk_letter_returned_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('returned_by_id')
        batch_op.drop_column('returned_on')
    for column in ('superseded_by_id', 'returned_on', 'name_line', 'learned_on'):
        op.drop_column('contact_point', column)
