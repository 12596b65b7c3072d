"""shadow scores

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shadow_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.Column('model_name', sa.String(length=100), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shadow_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shadow_scores_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shadow_scores_signal_id'), ['signal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shadow_scores_model_version'), ['model_version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shadow_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shadow_scores_model_version'))
        batch_op.drop_index(batch_op.f('ix_shadow_scores_signal_id'))
        batch_op.drop_index(batch_op.f('ix_shadow_scores_assessment_id'))
    op.drop_table('shadow_scores')
