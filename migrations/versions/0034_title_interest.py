"""a title's interest: the L313-3 increase fixed on the title, the title's fixed interest per claim

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-06

Once a title is enforceable its interest is the case's new basis: the legal rate from the day the title
sets, increased by the settings' points from a day fixed when it became enforceable, plus the interest
the title itself fixed to its date, shared over the claims. Titles already enforceable get their
increase day from the settings in force on their enforceable day and their fixed interest shared now.
"""
import calendar
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('judicial_title', schema=None) as batch_op:
        batch_op.add_column(sa.Column('increase_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('increase_bp', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'judicial_title_claim',
        sa.Column('title_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('interest_cents', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_judicial_title_claim_claim_id_claim')),
        sa.ForeignKeyConstraint(['title_id'], ['judicial_title.id'],
                                name=op.f('fk_judicial_title_claim_title_id_judicial_title')),
        sa.PrimaryKeyConstraint('title_id', 'claim_id', name=op.f('pk_judicial_title_claim')),
    )
    with op.batch_alter_table('judicial_title_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_title_claim_claim_id'), ['claim_id'], unique=False)
    _backfill()


def _backfill():
    """Titles made enforceable before this revision: their increase day from the settings in force on their
    enforceable day, and their fixed interest shared over the claims by invoiced amount (as the code does)."""
    bind = op.get_bind()
    titles = bind.execute(sa.text(
        "SELECT t.id, t.enforceable_on, t.interest_cents, p.case_id FROM judicial_title t"
        " JOIN judicial_proceeding p ON p.id = t.proceeding_id WHERE t.enforceable_on IS NOT NULL")).all()
    for title_id, enforceable_on, interest_cents, case_id in titles:
        on = enforceable_on if isinstance(enforceable_on, date) else date.fromisoformat(str(enforceable_on))
        months, points = (int(_setting(bind, key, on)) for key in ("title_increase_months", "title_increase_bp"))
        bind.execute(sa.text("UPDATE judicial_title SET increase_on = :day, increase_bp = :bp WHERE id = :id"),
                     {"day": _add_months(on, months), "bp": points, "id": title_id})
        claims = dict(bind.execute(sa.text("SELECT id, amount_cents FROM claim WHERE case_id = :case"),
                                   {"case": case_id}).all())
        for claim_id, cents in _shares(interest_cents, claims).items():
            bind.execute(sa.text("INSERT INTO judicial_title_claim (title_id, claim_id, interest_cents)"
                                 " VALUES (:title, :claim, :cents)"),
                         {"title": title_id, "claim": claim_id, "cents": cents})


def _setting(bind, key, on):
    return bind.execute(sa.text("SELECT value FROM judicial_setting WHERE key = :key AND valid_from <= :on"
                                " ORDER BY valid_from DESC LIMIT 1"), {"key": key, "on": on}).scalar()


def _add_months(day, months):
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shares(total, weights):
    weight = sum(weights.values())
    if weight <= 0:
        return dict.fromkeys(weights, 0)
    shares = {key: total * w // weight for key, w in weights.items()}
    for key in sorted(weights, key=lambda k: (-(total * weights[k] % weight), k))[:total - sum(shares.values())]:
        shares[key] += 1
    return shares


def downgrade():
    with op.batch_alter_table('judicial_title_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicial_title_claim_claim_id'))
    op.drop_table('judicial_title_claim')
    with op.batch_alter_table('judicial_title', schema=None) as batch_op:
        batch_op.drop_column('increase_bp')
        batch_op.drop_column('increase_on')
