"""originals in the store; signals stored unread; processing tries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('originals',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('kept_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unread', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tries', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_column('tries')
        batch_op.drop_column('unread')
    op.drop_table('originals')
