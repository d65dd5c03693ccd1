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

"""Instance tasks, snapshot sizes and set errors

Revision ID: 7c3e5a9d1f20
Revises: 4e7a9c2f61d8
Create Date: 2026-11-22 03:30:00

What the REST API service needs to run one long operation per instance
and show it while it runs: the task of an instance (name, state, percent,
error, heartbeat), the size of a snapshot's layer, and why a snapshot set
failed.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '7c3e5a9d1f20'
down_revision = '4e7a9c2f61d8'
branch_labels = None
depends_on = None


def upgrade():
    # batch: SQLite cannot drop columns in place (downgrade), and the same
    # spelling both ways keeps the revision readable.
    with op.batch_alter_table('lightsnap_instances') as batch:
        batch.add_column(sa.Column('task', sa.String(36), nullable=True))
        batch.add_column(sa.Column('task_state', sa.String(36),
                                   nullable=True))
        batch.add_column(sa.Column('task_progress', sa.Integer,
                                   nullable=False, server_default='0'))
        batch.add_column(sa.Column('task_error', sa.Text, nullable=True))
        batch.add_column(sa.Column('task_heartbeat', sa.DateTime,
                                   nullable=True))
    with op.batch_alter_table('lightsnap_snapshots') as batch:
        batch.add_column(sa.Column('size', sa.BigInteger, nullable=True))
    with op.batch_alter_table('lightsnap_snapshot_sets') as batch:
        batch.add_column(sa.Column('error', sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table('lightsnap_snapshot_sets') as batch:
        batch.drop_column('error')
    with op.batch_alter_table('lightsnap_snapshots') as batch:
        batch.drop_column('size')
    with op.batch_alter_table('lightsnap_instances') as batch:
        for column in ('task_heartbeat', 'task_error', 'task_progress',
                       'task_state', 'task'):
            batch.drop_column(column)
