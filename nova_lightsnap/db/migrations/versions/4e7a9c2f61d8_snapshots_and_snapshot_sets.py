#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Snapshots and snapshot sets

Revision ID: 4e7a9c2f61d8
Revises: b2d1c0a3e5f1
Create Date: 2025-01-20 10:05:00

A row per light snapshot of an instance and per snapshot set.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '4e7a9c2f61d8'
down_revision = 'b2d1c0a3e5f1'
branch_labels = None
depends_on = None

TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def upgrade():
    op.create_table(
        'lightsnap_snapshot_sets',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('state', sa.String(36), nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_lightsnap_snapshot_sets'),
        sa.UniqueConstraint(
            'project_id', 'name',
            name='uq_lightsnap_snapshot_sets_project_id_name'),
        **TABLE_ARGS)
    op.create_table(
        'lightsnap_snapshots',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('instance_uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('state', sa.String(36), nullable=False),
        sa.Column('progress', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('quiesced', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('set_id', sa.Integer, nullable=True),
        sa.Column('error', sa.Text, nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_lightsnap_snapshots'),
        sa.UniqueConstraint(
            'instance_uuid', 'name',
            name='uq_lightsnap_snapshots_instance_uuid_name'),
        sa.ForeignKeyConstraint(
            ['instance_uuid'], ['lightsnap_instances.instance_uuid'],
            name='fk_lightsnap_snapshots_instance_uuid_lightsnap_instances',
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['set_id'], ['lightsnap_snapshot_sets.id'],
            name='fk_lightsnap_snapshots_set_id_lightsnap_snapshot_sets',
            ondelete='SET NULL'),
        **TABLE_ARGS)
    op.create_index('ix_lightsnap_snapshots_set_id', 'lightsnap_snapshots',
                    ['set_id'])


def downgrade():
    # The table's foreign keys go with it (MySQL needs the set_id index as
    # long as its foreign key exists, so the index is not dropped first).
    op.drop_table('lightsnap_snapshots')
    op.drop_table('lightsnap_snapshot_sets')
