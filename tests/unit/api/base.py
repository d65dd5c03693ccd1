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

"""The API's WSGI stack in-process, on a migrated SQLite database, with a
fake source of instances and a fake compute client (unit tests of logic;
the real service is tested in tests/functional/api)."""

import os

import fixtures
import webob

from nova_lightsnap.api import config
from nova_lightsnap.api import deploy
from nova_lightsnap.api.objects import compute
from nova_lightsnap.api import policy
from nova_lightsnap.api import servers
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import migration

from tests.support import testcase

UUID_A = '11111111-2222-4333-8444-555555555555'
UUID_B = '11111111-2222-4333-8444-666666666666'


class FakeSource(object):

    def __init__(self, servers_):
        self.servers = {s.uuid: s for s in servers_}

    def get(self, uuid):
        return self.servers.get(uuid)

    def list(self, project_id=None):
        return [s for u, s in sorted(self.servers.items())
                if project_id in (None, s.project_id)]


class FakeService(object):
    """What Service gives the handlers, minus RPC and libvirt."""

    def __init__(self, conf, source, client):
        self.conf = conf
        self.source = source
        self.client = client
        self.progress_client = client
        self.short_timeout = 3
        self.first_sight_timeout = 20
        self.silent_hosts = compute.SilentHosts(60)
        self.enforcer = policy.make_enforcer(conf)
        self.notifier = None

    def rpc_context(self, ctx):
        return {'request_id': ctx.request_id, 'project_id': ctx.project_id,
                'user_id': ctx.user_id, 'roles': list(ctx.roles)}


class APIUnitTestCase(testcase.TestCase):

    auth_strategy = 'noauth'
    config_text = ''

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        config_file = os.path.join(tmp, 'api.conf')
        with open(config_file, 'w') as f:
            f.write(self.config_text)
        self.conf = config.load([], default_config_files=[config_file])
        self.conf.set_override('connection', 'sqlite:///' + os.path.join(
            tmp, 'api.sqlite'), 'database')
        self.conf.set_override('auth_strategy', self.auth_strategy, 'api')
        self.conf.set_override('progress_interval', 0.05, 'api')
        migration.upgrade(self.conf)
        db_api.configure(self.conf)
        self.addCleanup(db_api.dispose)
        self.source = FakeSource([
            servers.Server(UUID_A, 'project-a', 'compute-1', 'a'),
            servers.Server(UUID_B, 'project-b', 'compute-1', 'b')])
        self.client = self.make_client()
        self.service = FakeService(self.conf, self.source, self.client)
        self.app = deploy.deploy(self.conf, self.service)

    def make_client(self):
        return None

    def request(self, method, path, body=None, project='project-a',
                roles='member', headers=None):
        req = webob.Request.blank(path, method=method)
        if project:
            req.headers['X-Project-Id'] = project
            req.headers['X-Roles'] = roles
        for key, value in (headers or {}).items():
            req.headers[key] = value
        if body is not None:
            req.json_body = body
            req.content_type = 'application/json'
        resp = req.get_response(self.app)
        return resp.status_int, resp.headers, (
            resp.json_body if resp.body else None)
