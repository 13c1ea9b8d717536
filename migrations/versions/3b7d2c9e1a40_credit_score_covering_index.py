"""credit: a covering index for the score computation (records in effect per enterprise and type)

Revision ID: 3b7d2c9e1a40
Revises: 894ae4bbe0fd
Create Date: 2026-12-04 23:58:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b7d2c9e1a40'
down_revision = '894ae4bbe0fd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('anju_credit_record', schema=None) as batch_op:
        batch_op.create_index('ix_anju_credit_record_status_org_score',
                              ['status', 'org_id', 'score_type', 'score'], unique=False)


def downgrade():
    with op.batch_alter_table('anju_credit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_anju_credit_record_status_org_score')
