"""policy gate: what caps count and amount rules read on proposals; the decided assignee,
deadline and time on decisions; operational switches (the kill switch)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('suppliers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_proposals_supplier'), ['supplier'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('deadline', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
    decisions = sa.table('decisions', sa.column('decided_at', sa.DateTime(timezone=True)),
                         sa.column('reviewed_at', sa.DateTime(timezone=True)),
                         sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(decisions.update().values(decided_at=sa.func.coalesce(decisions.c.reviewed_at, decisions.c.created_at)))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('decided_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_decisions_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index('ix_decisions_outcome_decided_at', ['outcome', 'decided_at'], unique=False)
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_key_state', ['key', 'state'], unique=False)
    op.create_table('switches',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('on', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('switches')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_key_state')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_outcome_decided_at')
        batch_op.drop_index(batch_op.f('ix_decisions_decided_at'))
        batch_op.drop_column('decided_at')
        batch_op.drop_column('deadline')
        batch_op.drop_column('assignee')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_supplier'))
        batch_op.drop_column('owner')
        batch_op.drop_column('currency')
        batch_op.drop_column('amount')
        batch_op.drop_column('suppliers')
        batch_op.drop_column('supplier')
