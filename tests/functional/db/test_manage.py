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

"""``lightsnap-manage db sync|version|downgrade`` against SQLite, run as a
subprocess with a config file, as an operator runs it."""

import importlib.metadata
import os
import subprocess
import sys

import fixtures
import sqlalchemy as sa

from nova_lightsnap.db import migration

from tests.support import testcase

FIRST = 'b2d1c0a3e5f1'
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCRIPT = os.path.join(os.path.dirname(sys.executable), 'lightsnap-manage')


class TestManage(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.db = os.path.join(self.tmp, 'lightsnap.sqlite')
        self.config = self.write_config('sqlite:///' + self.db)

    def write_config(self, connection, name='lightsnap.conf'):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write('[database]\nconnection = %s\nmax_retries = 1\n'
                    % connection.replace('%', '%%'))
        return path

    def manage(self, *args, config=None, expect=0):
        # The module, as tests/functional/test_cli.py runs `lightsnap`: the
        # same main() as the console script (see test_console_script).
        cmd = [sys.executable, '-m', 'nova_lightsnap.cmd.manage',
               '--config-file', config or self.config] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=TOP,
                              timeout=120)
        self.assertEqual(expect, proc.returncode,
                         'stdout: %s\nstderr: %s' % (proc.stdout,
                                                     proc.stderr))
        return proc

    def tables(self):
        engine = sa.create_engine('sqlite:///' + self.db)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_sync_version_downgrade(self):
        self.assertEqual('base', self.manage('db', 'version').stdout.strip())
        proc = self.manage('db', 'sync')
        self.assertEqual(migration.head(), proc.stdout.strip())
        self.assertIn('Running upgrade  -> %s' % FIRST, proc.stderr)
        self.assertEqual(migration.head(),
                         self.manage('db', 'version').stdout.strip())
        self.assertIn('lightsnap_snapshots', self.tables())
        self.assertNotIn('alembic_version', self.tables())

        proc = self.manage('db', 'downgrade', FIRST)
        self.assertEqual(FIRST, proc.stdout.strip())
        self.assertEqual(FIRST, self.manage('db', 'version').stdout.strip())
        self.assertNotIn('lightsnap_snapshots', self.tables())

        self.assertEqual('base',
                         self.manage('db', 'downgrade', 'base').stdout.strip())
        self.assertEqual({'lightsnap_alembic_version'}, self.tables())
        self.assertEqual(migration.head(),
                         self.manage('db', 'sync').stdout.strip())

    def test_sync_to_a_revision(self):
        self.assertEqual(FIRST,
                         self.manage('db', 'sync', FIRST).stdout.strip())
        self.assertEqual({'lightsnap_alembic_version',
                          'lightsnap_instances'}, self.tables())

    def test_unknown_revision(self):
        self.manage('db', 'sync')
        proc = self.manage('db', 'downgrade', 'nosuchrev', expect=1)
        self.assertIn("Can't locate revision identified by 'nosuchrev'",
                      proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)

    def test_bad_connection_strings(self):
        cases = [
            ('not a url', "is not an SQLAlchemy URL"),
            ('nosuchdb://host/x', "unknown database dialect 'nosuchdb'"),
            ('mysql+nosuchdriver://u:secret@127.0.0.1/x',
             "unknown database dialect 'mysql+nosuchdriver'"),
            ('sqlite:///%s/missing/dir/x.sqlite' % self.tmp,
             'directory %s/missing/dir does not exist' % self.tmp),
        ]
        for number, (url, message) in enumerate(cases):
            config = self.write_config(url, 'bad%d.conf' % number)
            proc = self.manage('db', 'sync', config=config, expect=1)
            self.assertIn('lightsnap-manage: error: ', proc.stderr)
            self.assertIn(message, proc.stderr)
            self.assertNotIn('secret', proc.stderr)
            self.assertNotIn('Traceback', proc.stderr)

    def test_unreachable_server(self):
        url = 'postgresql+psycopg2://u:secret@127.0.0.1:1/x'
        config = self.write_config(url, 'unreachable.conf')
        proc = self.manage('db', 'version', config=config, expect=1)
        self.assertIn('lightsnap-manage: error: database '
                      'postgresql+psycopg2://u:***@127.0.0.1:1/x',
                      proc.stderr)
        self.assertIn('Connection refused', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)

    def test_missing_config_file(self):
        proc = self.manage('db', 'version',
                           config=os.path.join(self.tmp, 'nope.conf'),
                           expect=2)
        self.assertIn('Failed to find some config files', proc.stderr)

    def test_console_script(self):
        """The installed `lightsnap-manage` (setup.cfg console_scripts; the
        package must be installed again after adding it: ./run does)."""
        scripts = {ep.name: ep.value for ep in
                   importlib.metadata.entry_points(group='console_scripts')}
        self.assertEqual('nova_lightsnap.cmd.manage:main',
                         scripts.get('lightsnap-manage'))
        self.assertTrue(os.path.exists(SCRIPT), SCRIPT)
        proc = subprocess.run(
            [SCRIPT, '--config-file', self.config, 'db', 'sync'],
            capture_output=True, text=True, cwd=self.tmp, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual(migration.head(), proc.stdout.strip())
        proc = subprocess.run(
            [SCRIPT, '--config-file', self.config, 'db', 'version'],
            capture_output=True, text=True, cwd=self.tmp, timeout=120)
        self.assertEqual(migration.head(), proc.stdout.strip())
