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

"""Backends for the database tests: SQLite files, and private PostgreSQL
and MariaDB servers (tests/support/dbservers.py), one per test class; each
test gets a fresh, empty database."""

import os

import fixtures
from oslo_config import cfg
import sqlalchemy as sa

from nova_lightsnap.db import api
from tests.support import dbservers
from tests.support import testcase


def make_conf(url):
    conf = cfg.ConfigOpts()
    api.register_opts(conf)
    conf([], project='lightsnap', default_config_files=[])
    conf.set_override('connection', url, 'database')
    return conf


class SQLiteMixin(object):
    backend = 'sqlite'

    def new_url(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        return 'sqlite:///' + os.path.join(tmp, 'lightsnap.sqlite')


class ServerMixin(object):
    """setUpClass starts the server; a failure to start fails every test
    of the class with the server's log (never a skip)."""

    backend = None
    server = None
    server_error = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.server = dbservers.start(cls.backend)
        except dbservers.ServerError as exc:
            cls.server_error = str(exc)
        else:
            cls.addClassCleanup(cls.server.stop)

    def new_url(self):
        if self.server_error:
            self.fail('%s did not start:\n%s'
                      % (self.backend, self.server_error))
        return self.server.new_database()


class DBTestCase(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.url = self.new_url()
        self.conf = make_conf(self.url)
        self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)
        self.addCleanup(api.dispose)

    def table_names(self):
        return set(sa.inspect(self.engine).get_table_names())
