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

"""SQLAlchemy models of the plugin database.

Three tables, all prefixed ``lightsnap_`` so that they can share a schema
with other services without clashing:

``lightsnap_instances``
    one row per Nova instance known to the plugin: the six light-snapshot
    columns of the original light-snapshot system, the instance's project
    and host.
``lightsnap_snapshots``
    one row per light snapshot (a name pointing at a read-only layer of the
    instance's root disk), optionally part of a snapshot set.
``lightsnap_snapshot_sets``
    one row per snapshot set (one point in time across several instances).

Every constraint and index has an explicit name, from the naming convention
on ``BASE.metadata``, so that the migrations create exactly these names on
SQLite, PostgreSQL and MySQL/MariaDB and alembic's autogenerate comparison of
these models with a migrated schema is empty on all three (the functional
tests check it). Changing a model means adding a revision under
``nova_lightsnap/db/migrations/versions``.
"""

from oslo_db.sqlalchemy import models
import sqlalchemy as sa
from sqlalchemy import orm

NAMING_CONVENTION = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}

# Snapshot and snapshot-set states. Strings in the database (no enum type:
# adding a state must not need an ALTER TYPE on PostgreSQL).
CREATING = 'creating'
AVAILABLE = 'available'
DELETING = 'deleting'
REVERTING = 'reverting'
ERROR = 'error'
EXPORTING = 'exporting'
STORED = 'stored'
RESTORING = 'restoring'
STATES = (CREATING, AVAILABLE, DELETING, REVERTING, EXPORTING, STORED,
          RESTORING, ERROR)

# Instance task states. One task at a time per instance: the API service
# claims it with a conditional UPDATE (see nova_lightsnap.db.tasks).
TASK_RUNNING = 'running'
TASK_ERROR = 'error'


class Base(models.TimestampMixin, models.ModelBase, orm.DeclarativeBase):
    """created_at and updated_at (UTC, set by oslo.db) on every table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


BASE = Base


class Instance(Base):
    """The light-snapshot state of one Nova instance."""

    __tablename__ = 'lightsnap_instances'
    __table_args__ = (
        sa.Index('ix_lightsnap_instances_host', 'host'),
        sa.Index('ix_lightsnap_instances_project_id', 'project_id'),
        TABLE_ARGS,
    )

    instance_uuid = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    # The compute host the instance runs on, as last seen by the API
    # service; NULL while it has none (not scheduled yet).
    host = sa.Column(sa.String(255), nullable=True)
    # Opt-in: an instance without it gets exactly Nova's behaviour.
    light_snapshot_enable = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # All overlays were folded back into the root disk (before a migrate or
    # resize), so spawn knows to initialise the chain again.
    snapshot_committed = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # Monotonic file number: the next overlay gets snapshot_index + 1, so a
    # file name is never reused.
    snapshot_index = sa.Column(
        sa.Integer, nullable=False, default=0, server_default='0')
    # The last index committed into the root disk.
    root_index = sa.Column(
        sa.Integer, nullable=False, default=0, server_default='0')
    # Keep a deleted snapshot's file (hard-linked into a store folder), still
    # revertible.
    snapshot_store = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # Take part in the daily schedule.
    snapshot_daily = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # The long operation running on the instance (or the last one, when it
    # failed): its name, state, percent and error for the user. NULL task:
    # idle.
    task = sa.Column(sa.String(36), nullable=True)
    task_state = sa.Column(sa.String(36), nullable=True)
    task_progress = sa.Column(
        sa.Integer, nullable=False, default=0, server_default='0')
    task_error = sa.Column(sa.Text, nullable=True)
    # Renewed by the worker that runs the task; a running task whose
    # heartbeat is old was left by a process that died, and may be taken
    # over.
    task_heartbeat = sa.Column(sa.DateTime, nullable=True)

    snapshots = orm.relationship(
        'Snapshot', back_populates='instance', passive_deletes=True,
        cascade='all, delete-orphan', order_by='Snapshot.id')


class SnapshotSet(Base):
    """One consistent point in time across several instances."""

    __tablename__ = 'lightsnap_snapshot_sets'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'name'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    state = sa.Column(sa.String(36), nullable=False, default=CREATING)
    # Why the last operation on the set failed (state 'error').
    error = sa.Column(sa.Text, nullable=True)

    snapshots = orm.relationship(
        'Snapshot', back_populates='snapshot_set', passive_deletes=True,
        order_by='Snapshot.id')


class Snapshot(Base):
    """A light snapshot: a name for a read-only layer of the root disk."""

    __tablename__ = 'lightsnap_snapshots'
    __table_args__ = (
        # Also the index that the instance_uuid foreign key needs on MySQL.
        sa.UniqueConstraint('instance_uuid', 'name'),
        sa.Index('ix_lightsnap_snapshots_set_id', 'set_id'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    instance_uuid = sa.Column(
        sa.String(36),
        sa.ForeignKey('lightsnap_instances.instance_uuid',
                      ondelete='CASCADE'),
        nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    state = sa.Column(sa.String(36), nullable=False, default=CREATING)
    # Percent of the operation in progress (0-100).
    progress = sa.Column(
        sa.Integer, nullable=False, default=0, server_default='0')
    # The guest's file systems were frozen through the agent when taken.
    quiesced = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false())
    set_id = sa.Column(
        sa.Integer,
        sa.ForeignKey('lightsnap_snapshot_sets.id', ondelete='SET NULL'),
        nullable=True)
    # Why the last operation failed, for the user (state 'error').
    error = sa.Column(sa.Text, nullable=True)
    # Bytes of the snapshot's own layer, as the compute host last said.
    size = sa.Column(sa.BigInteger, nullable=True)

    instance = orm.relationship('Instance', back_populates='snapshots')
    snapshot_set = orm.relationship('SnapshotSet', back_populates='snapshots')
