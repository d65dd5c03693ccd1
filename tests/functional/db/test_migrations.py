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

"""The migrations, the models and the access layer on SQLite, PostgreSQL
and MariaDB."""

from alembic import autogenerate
from alembic import migration as alembic_migration
import sqlalchemy as sa

from nova_lightsnap.db import api
from nova_lightsnap.db import migration
from nova_lightsnap.db import models
from nova_lightsnap import exception
from tests.functional.db import base

FIRST = 'b2d1c0a3e5f1'
SECOND = '4e7a9c2f61d8'
THIRD = '7c3e5a9d1f20'
HEAD = THIRD
TABLES = {'lightsnap_instances', 'lightsnap_snapshots',
          'lightsnap_snapshot_sets'}
UUID = '2f1f6a0e-5f0c-4b7e-9a55-6f5d3c1b0a01'
SIX = dict(light_snapshot_enable=True, snapshot_committed=True,
           snapshot_index=7, root_index=3, snapshot_store=True,
           snapshot_daily=True)


THIRD_COLUMNS = {
    'lightsnap_instances': ('task', 'task_state', 'task_progress',
                            'task_error', 'task_heartbeat'),
    'lightsnap_snapshots': ('size',),
    'lightsnap_snapshot_sets': ('error',),
}


def _without_third():
    """The models as they were at the second revision."""
    metadata = sa.MetaData(naming_convention=models.NAMING_CONVENTION)
    for table in models.BASE.metadata.sorted_tables:
        copy = table.to_metadata(metadata)
        for name in THIRD_COLUMNS.get(table.name, ()):
            copy._columns.remove(copy.c[name])
    return metadata


class MigrationTests(object):

    def diff(self, metadata=models.BASE.metadata):
        """What autogenerate finds between ``metadata`` and the schema."""
        with self.engine.connect() as conn:
            context = alembic_migration.MigrationContext.configure(
                conn, opts={'compare_type': True,
                            'compare_server_default':
                                migration.compare_server_default,
                            'include_name': migration.include_name})
            return autogenerate.compare_metadata(context, metadata)

    def test_head_is_the_third_revision(self):
        self.assertEqual(HEAD, migration.head())

    def test_up_down_to_base_and_up_again(self):
        self.assertIsNone(migration.version(self.conf))
        migration.upgrade(self.conf)
        self.assertEqual(HEAD, migration.version(self.conf))
        self.assertTrue(TABLES <= self.table_names())

        migration.downgrade(self.conf, SECOND)
        self.assertEqual(SECOND, migration.version(self.conf))
        self.assertEqual([], self.diff(_without_third()))

        migration.downgrade(self.conf, FIRST)
        self.assertEqual(FIRST, migration.version(self.conf))
        self.assertIn('lightsnap_instances', self.table_names())
        self.assertNotIn('lightsnap_snapshots', self.table_names())
        self.assertNotIn('lightsnap_snapshot_sets', self.table_names())

        migration.downgrade(self.conf, 'base')
        self.assertIsNone(migration.version(self.conf))
        self.assertEqual({migration.VERSION_TABLE}, self.table_names())

        migration.upgrade(self.conf, FIRST)
        self.assertEqual(FIRST, migration.version(self.conf))
        migration.upgrade(self.conf)
        self.assertEqual(HEAD, migration.version(self.conf))
        self.assertEqual([], self.diff())

    def test_rows_survive_the_second_revision_both_ways(self):
        migration.upgrade(self.conf, FIRST)
        table = sa.Table('lightsnap_instances', sa.MetaData(),
                         autoload_with=self.engine)
        with self.engine.begin() as conn:
            conn.execute(table.insert().values(
                instance_uuid=UUID, project_id='p', **SIX))
        migration.upgrade(self.conf)
        migration.downgrade(self.conf, FIRST)
        with self.engine.connect() as conn:
            row = conn.execute(table.select()).one()
        self.assertEqual(7, row.snapshot_index)
        self.assertIs(True, bool(row.snapshot_daily))

    def test_own_version_table_only(self):
        migration.upgrade(self.conf)
        names = self.table_names()
        self.assertIn('lightsnap_alembic_version', names)
        self.assertNotIn('alembic_version', names)
        self.assertEqual(TABLES | {'lightsnap_alembic_version'}, names)
        with self.engine.connect() as conn:
            versions = conn.execute(sa.text(
                'SELECT version_num FROM lightsnap_alembic_version')).all()
        self.assertEqual([(HEAD,)], versions)

    def test_models_match_migrated_schema(self):
        migration.upgrade(self.conf)
        self.assertEqual([], self.diff())

    def test_comparison_sees_differences(self):
        """The boolean-default comparator does not hide real changes."""
        migration.upgrade(self.conf)
        changed = sa.MetaData(naming_convention=models.NAMING_CONVENTION)
        for table in models.BASE.metadata.sorted_tables:
            table.to_metadata(changed)
        instances = changed.tables['lightsnap_instances']
        instances.c.snapshot_daily.server_default = sa.DefaultClause(
            sa.true())
        sa.Index('ix_lightsnap_instances_root_index', instances.c.root_index)
        diff = self.diff(changed)
        kinds = sorted(d[0][0] if isinstance(d, list) else d[0]
                       for d in diff)
        self.assertEqual(['add_index', 'modify_default'], kinds)

    def test_constraint_and_index_names(self):
        migration.upgrade(self.conf)
        inspector = sa.inspect(self.engine)
        self.assertEqual(
            {'ix_lightsnap_instances_host',
             'ix_lightsnap_instances_project_id'},
            {ix['name'] for ix in inspector.get_indexes(
                'lightsnap_instances')})
        self.assertEqual(
            {'fk_lightsnap_snapshots_instance_uuid_lightsnap_instances',
             'fk_lightsnap_snapshots_set_id_lightsnap_snapshot_sets'},
            {fk['name'] for fk in inspector.get_foreign_keys(
                'lightsnap_snapshots')})

    def test_api_round_trip(self):
        migration.upgrade(self.conf)
        api.configure(self.conf)
        api.instance_create(UUID, 'project-a', host='compute-1', **SIX)
        row = api.instance_get(UUID)
        self.assertEqual('project-a', row.project_id)
        self.assertEqual('compute-1', row.host)
        for field, value in SIX.items():
            self.assertIs(value, getattr(row, field), field)
        self.assertIsNotNone(row.created_at)
        self.assertEqual(8, api.instance_next_snapshot_index(UUID))
        self.assertRaises(ValueError, api.instance_update, UUID,
                          snapshot_index=2)
        api.instance_update(UUID, snapshot_committed=False, root_index=8)
        row = api.instance_get(UUID)
        self.assertIs(False, row.snapshot_committed)
        self.assertEqual((8, 8), (row.snapshot_index, row.root_index))
        self.assertRaises(exception.Duplicate, api.instance_create, UUID, 'p')

        snapset = api.snapshot_set_create('nightly', 'project-a')
        api.snapshot_create(UUID, 'one', quiesced=True, set_id=snapset.id)
        api.snapshot_create(UUID, 'two', error='no space left')
        self.assertRaises(exception.Duplicate, api.snapshot_create,
                          UUID, 'one')
        self.assertRaises(exception.NotFound, api.snapshot_create,
                          '00000000-0000-0000-0000-000000000000', 'x')
        api.snapshot_update(UUID, 'one', state=models.AVAILABLE,
                            progress=100)
        one, two = api.snapshot_list(UUID)
        self.assertEqual(('one', models.AVAILABLE, 100, True, snapset.id),
                         (one.name, one.state, one.progress, one.quiesced,
                          one.set_id))
        self.assertEqual('no space left', two.error)
        self.assertEqual(['one'], [s.name for s in
                                   api.snapshot_list(set_id=snapset.id)])

        # ON DELETE SET NULL, then ON DELETE CASCADE, on every backend.
        api.snapshot_set_delete(snapset.id)
        self.assertIsNone(api.snapshot_get(UUID, 'one').set_id)
        api.instance_delete(UUID)
        self.assertEqual([], api.snapshot_list(UUID))
        self.assertRaises(exception.NotFound, api.instance_get, UUID)


class TestSQLite(MigrationTests, base.SQLiteMixin, base.DBTestCase):
    pass


class TestPostgreSQL(MigrationTests, base.ServerMixin, base.DBTestCase):
    backend = 'postgresql'


class TestMariaDB(MigrationTests, base.ServerMixin, base.DBTestCase):
    backend = 'mariadb'
