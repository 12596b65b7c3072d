"""outbox activity key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:50:04.911335
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_key', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_activity_key'), ['activity_key'], unique=False)
    # backfill from the payload (JSON functions differ between SQLite and PostgreSQL: do it here)
    conn = op.get_bind()
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('payload', sa.JSON),
                      sa.column('activity_key', sa.String))
    for row_id, payload in conn.execute(sa.select(outbox.c.id, outbox.c.payload)).all():
        key = (payload or {}).get('key')
        if key:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(activity_key=key))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_activity_key'))
        batch_op.drop_column('activity_key')

