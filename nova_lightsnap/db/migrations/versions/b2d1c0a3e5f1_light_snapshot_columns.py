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

"""The light-snapshot columns per instance (lightsnap_instances)

Revision ID: b2d1c0a3e5f1
Revises:
Create Date: 2025-01-20 10:00:00

The six light-snapshot fields of the original system, per instance uuid,
with the instance's project and host and timestamps.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b2d1c0a3e5f1'
down_revision = None
branch_labels = None
depends_on = None

TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def upgrade():
    op.create_table(
        'lightsnap_instances',
        sa.Column('instance_uuid', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('host', sa.String(255), nullable=True),
        sa.Column('light_snapshot_enable', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('snapshot_committed', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('snapshot_index', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('root_index', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('snapshot_store', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('snapshot_daily', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint('instance_uuid',
                                name='pk_lightsnap_instances'),
        **TABLE_ARGS)
    op.create_index('ix_lightsnap_instances_host', 'lightsnap_instances',
                    ['host'])
    op.create_index('ix_lightsnap_instances_project_id',
                    'lightsnap_instances', ['project_id'])


def downgrade():
    op.drop_index('ix_lightsnap_instances_project_id',
                  table_name='lightsnap_instances')
    op.drop_index('ix_lightsnap_instances_host',
                  table_name='lightsnap_instances')
    op.drop_table('lightsnap_instances')
