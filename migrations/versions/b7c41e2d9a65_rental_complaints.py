"""complaints: rental complaints (用户维权) without a property area, their kind and the contract number or listing code

Revision ID: b7c41e2d9a65
Revises: 9f5e7995dc67
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2d9a65'
down_revision = '9f5e7995dc67'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('anju_complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='property', nullable=False))
        batch_op.add_column(sa.Column('subject_number', sa.String(length=32), nullable=True))
        batch_op.alter_column('area_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_anju_complaint_kind_submitted', ['kind', 'submitted_at'], unique=False)
        batch_op.create_index('ix_anju_complaint_district_kind', ['district_code', 'kind', 'submitted_at'],
                              unique=False)


def downgrade():
    # Rental complaints have no area: they cannot survive a schema that requires one.
    op.execute("DELETE FROM anju_complaint_event WHERE complaint_id IN "
               "(SELECT id FROM anju_complaint WHERE area_id IS NULL)")
    op.execute("DELETE FROM anju_complaint WHERE area_id IS NULL")
    with op.batch_alter_table('anju_complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_anju_complaint_district_kind')
        batch_op.drop_index('ix_anju_complaint_kind_submitted')
        batch_op.alter_column('area_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('subject_number')
        batch_op.drop_column('kind')
