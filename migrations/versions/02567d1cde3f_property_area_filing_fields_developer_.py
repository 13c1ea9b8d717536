"""property: area filing fields, developer and committee, house registry

Revision ID: 02567d1cde3f
Revises: 322ee09edb13
Create Date: 2026-12-05 08:19:25.516615

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '02567d1cde3f'
down_revision = '322ee09edb13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('anju_house',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('building', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('room', sa.String(length=32), nullable=False),
    sa.Column('floor', sa.Integer(), nullable=True),
    sa.Column('floor_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('owner_name', sa.String(length=64), nullable=True),
    sa.Column('owner_id_number', sa.String(length=32), nullable=True),
    sa.Column('deposit_date', sa.Date(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['anju_application.id'], ),
    sa.ForeignKeyConstraint(['area_id'], ['anju_property_area.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area_id', 'building', 'unit', 'room', name='uq_anju_house_room')
    )
    with op.batch_alter_table('anju_house', schema=None) as batch_op:
        batch_op.create_index('ix_anju_house_owner', ['area_id', 'owner_id_number'], unique=False)
        batch_op.create_index('ix_anju_house_region', ['region_code', 'id'], unique=False)

    with op.batch_alter_table('anju_property_area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('boundaries', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('land_area', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('building_area', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('building_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('developer_org_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('committee_org_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contract_filed', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_anju_property_area_committee_org_id'), ['committee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_anju_property_area_developer_org_id'), ['developer_org_id'], unique=False)
        batch_op.create_foreign_key('fk_anju_property_area_developer', 'anju_org', ['developer_org_id'], ['id'])
        batch_op.create_foreign_key('fk_anju_property_area_committee', 'anju_org', ['committee_org_id'], ['id'])



def downgrade():
    with op.batch_alter_table('anju_property_area', schema=None) as batch_op:
        batch_op.drop_constraint('fk_anju_property_area_committee', type_='foreignkey')
        batch_op.drop_constraint('fk_anju_property_area_developer', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_anju_property_area_developer_org_id'))
        batch_op.drop_index(batch_op.f('ix_anju_property_area_committee_org_id'))
        batch_op.drop_column('contract_filed')
        batch_op.drop_column('committee_org_id')
        batch_op.drop_column('developer_org_id')
        batch_op.drop_column('building_count')
        batch_op.drop_column('building_area')
        batch_op.drop_column('land_area')
        batch_op.drop_column('boundaries')
        batch_op.drop_column('property_type')

    with op.batch_alter_table('anju_house', schema=None) as batch_op:
        batch_op.drop_index('ix_anju_house_region')
        batch_op.drop_index('ix_anju_house_owner')

    op.drop_table('anju_house')
