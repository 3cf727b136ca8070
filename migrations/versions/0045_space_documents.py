"""debtor's space: the files a debtor sends (a dispute's documents, a payment's proof)

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-08

A dispute's documents and a payment's proof, sent by the debtor from their space: judged by their bytes (PDF,
PNG, JPEG), stored once under the documents folder with their SHA-256, tied to the case (and its client, as every
case row), to the dispute's hold or the note the collector reads.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('space_document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('action_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('dispute', 'payment_proof')", name=op.f('ck_space_document_kind_allowed')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_space_document_size_positive')),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_space_document_action_id_action')),
    sa.ForeignKeyConstraint(['case_id', 'client_id'], ['collection_case.id', 'collection_case.client_id'], name='fk_space_document_case_client'),
    sa.ForeignKeyConstraint(['hold_id'], ['hold.id'], name=op.f('fk_space_document_hold_id_hold')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space_document'))
    )
    with op.batch_alter_table('space_document', schema=None) as batch_op:
        batch_op.create_index('ix_space_document_case', ['case_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('space_document', schema=None) as batch_op:
        batch_op.drop_index('ix_space_document_case')

    op.drop_table('space_document')
