"""background tasks and notices to one person

Revision ID: 974aba59e063
Revises: 8454f111f3fc
Create Date: 2026-12-05 12:05:09.667286

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '974aba59e063'
down_revision = '8454f111f3fc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('anju_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_token', sa.String(length=64), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('worker', sa.String(length=64), nullable=True),
    sa.Column('dedupe_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], name='fk_anju_task_owner', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('anju_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anju_task_dedupe_key'), ['dedupe_key'], unique=False)
        batch_op.create_index('ix_anju_task_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_anju_task_state_created', ['state', 'created_at'], unique=False)

    with op.batch_alter_table('anju_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_anju_notice_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key('fk_anju_notice_user', 'ab_user', ['user_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table("anju_notice", schema=None) as batch_op:
        batch_op.drop_constraint('fk_anju_notice_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_anju_notice_user_id'))
        batch_op.drop_column('user_id')

    with op.batch_alter_table('anju_task', schema=None) as batch_op:
        batch_op.drop_index('ix_anju_task_state_created')
        batch_op.drop_index('ix_anju_task_owner_created')
        batch_op.drop_index(batch_op.f('ix_anju_task_dedupe_key'))

    op.drop_table('anju_task')
