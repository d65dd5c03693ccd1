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

"""A real lightsnap-api process on loopback, and an HTTP client for it.

The server is the console script, started with its own configuration file
on a free port after ``lightsnap-manage db sync``, and stopped by its PID.
"""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import fixtures
import testtools
import testtools.content

from nova_lightsnap.engine import host
from tests.functional import base
from tests.support import dbservers
from tests.support import domains
from tests.support import testcase

BIN = os.path.dirname(sys.executable)
START_TIMEOUT = 60


class ServerFailed(Exception):
    pass


def tail(path, limit=6000):
    try:
        with open(path, errors='replace') as f:
            return f.read()[-limit:]
    except OSError:
        return ''


class APIServer(fixtures.Fixture):
    """``lightsnap-api`` with ``options`` ({section: {name: value}})."""

    def __init__(self, workdir, db_url, options=None):
        super().__init__()
        self.workdir = workdir
        self.db_url = db_url
        self.options = options or {}
        self.proc = None

    def config(self):
        sections = {
            'DEFAULT': {'debug': 'false',
                        'log_file': os.path.join(self.workdir, 'api.log')},
            'api': {'bind_host': '127.0.0.1', 'bind_port': str(self.port),
                    'auth_strategy': 'noauth', 'libvirt_uri': domains.URI,
                    'compute_host': 'test-compute',
                    'local_default_project': 'nobody',
                    'progress_interval': '0.2'},
            'database': {'connection': self.db_url},
        }
        for section, values in self.options.items():
            sections.setdefault(section, {}).update(values)
        return ''.join('[%s]\n%s\n' % (name, ''.join(
            '%s = %s\n' % kv for kv in values.items()))
            for name, values in sections.items())

    def _setUp(self):
        self.port = dbservers.free_port()
        fd, self.config_file = tempfile.mkstemp(
            prefix='lightsnap-api-', suffix='.conf', dir=self.workdir)
        with os.fdopen(fd, 'w') as f:
            f.write(self.config())
        self.log = os.path.join(self.workdir, 'api-%d.out' % self.port)
        sync = subprocess.run(
            [os.path.join(BIN, 'lightsnap-manage'), '--config-file',
             self.config_file, 'db', 'sync'],
            capture_output=True, text=True)
        if sync.returncode != 0:
            raise ServerFailed('db sync: %s' % sync.stderr)
        with open(self.log, 'w') as out:
            self.proc = subprocess.Popen(
                [os.path.join(BIN, 'lightsnap-api'), '--config-file',
                 self.config_file], stdout=out, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop)
        self.client = Client(self.port)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed('lightsnap-api exited with %s:\n%s'
                                   % (self.proc.returncode, self.output()))
            try:
                if self.client.request('GET', '/', project=None)[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed('lightsnap-api did not answer:\n%s'
                                   % self.output())
            time.sleep(0.1)

    def output(self):
        return tail(self.log) + tail(os.path.join(self.workdir, 'api.log'))

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)


class Client(object):
    """JSON over HTTP, identity from the noauth headers."""

    def __init__(self, port, project='project-a', roles='member',
                 user='user-1'):
        self.port = port
        self.project = project
        self.roles = roles
        self.user = user
        self.exchanges = []

    def as_(self, project, roles='member'):
        return Client(self.port, project, roles)

    def request(self, method, path, body=None, project='', raw=None,
                headers=None):
        project = self.project if project == '' else project
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        sent = dict(headers or {})
        if project is not None:
            sent.update({'X-Project-Id': project, 'X-User-Id': self.user,
                         'X-Roles': self.roles})
        data = raw
        if body is not None:
            data = json.dumps(body)
            sent['Content-Type'] = 'application/json'
        try:
            conn.request(method, path, body=data, headers=sent)
            resp = conn.getresponse()
            text = resp.read().decode('utf-8')
        finally:
            conn.close()
        parsed = json.loads(text) if text else None
        self.exchanges.append((method, path, body, resp.status, parsed))
        return resp.status, dict(resp.getheaders()), parsed

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request('PATCH', path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)


class Guest(object):
    """A test domain of the class and the model of its data."""

    def __init__(self, vm, project):
        self.vm = vm
        self.project = project
        self.uuid = vm.dom.UUIDString()
        self.model = base.Model(sorted(vm.disk_kinds))


class APITestCase(base.EngineTestCase):
    """Real domains and one lightsnap-api server per test class.

    ``projects`` gives the project of each domain, in order; the domains
    of other tests on this libvirtd belong to no project of ours.
    """

    projects = ('project-a',)
    server_options = {}
    db_backend = 'sqlite'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guests = []
        for project in cls.projects:
            vm = domains.TestDomain()
            vm.setUp()
            cls.addClassCleanup(vm.cleanUp)
            cls.guests.append(Guest(vm, project))
        # Not in a domain's directory: that holds only its images.
        cls.workdir = tempfile.mkdtemp(prefix='api-', dir=domains.TEST_DIR)
        os.chmod(cls.workdir, 0o755)
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        cls.state_dir = cls.guests[0].vm.state_dir
        cls.export_dir = os.path.join(cls.workdir, 'exports')
        cls.projects_file = os.path.join(cls.workdir, 'projects.json')
        with open(cls.projects_file, 'w') as f:
            json.dump({g.uuid: g.project for g in cls.guests}, f)
        cls.db_url = cls.new_db_url()
        cls.server = cls.start_server()
        cls.host = host.Host(domains.URI, state_dir=cls.state_dir,
                             job_timeout=300)
        cls.addClassCleanup(cls.host.close)

    @classmethod
    def new_db_url(cls):
        if cls.db_backend == 'sqlite':
            return 'sqlite:///' + os.path.join(cls.workdir, 'api.sqlite')
        server = dbservers.start(cls.db_backend)
        cls.addClassCleanup(server.stop)
        return server.new_database()

    @classmethod
    def start_server(cls, **overrides):
        options = {'api': {'local_projects_file': cls.projects_file,
                           'state_dir': cls.state_dir,
                           'export_dir': cls.export_dir}}
        for section, values in list(cls.server_options.items()) + \
                list(overrides.items()):
            options.setdefault(section, {}).update(values)
        server = APIServer(cls.workdir, cls.db_url, options)
        try:
            server.setUp()
        except Exception:
            server.cleanUp()
            raise
        cls.addClassCleanup(server.cleanUp)
        return server

    def setUp(self):
        # Class-wide domains and server: only the per-test parts of
        # EngineTestCase.
        testcase.TestCase.setUp(self)
        self.rng = random.Random(self.id())
        self._pattern = 0
        self.client = self.server.client
        self.addOnException(self._server_log)
        self.use(self.guests[0])

    def _server_log(self, exc_info):
        self.addDetail('lightsnap-api', testtools.content.text_content(
            self.server.output()))

    def use(self, guest):
        """Point EngineTestCase's write and verify at ``guest``."""
        self.vm = guest.vm
        self.model = guest.model
        self.disks = guest.vm.disk_kinds

    def as_(self, guest, roles='member'):
        return self.client.as_(guest.project, roles)

    # -- polling ------------------------------------------------------------

    def wait_for(self, path, done, client=None, timeout=120):
        """GET ``path`` until ``done(status, body)``; the bodies seen."""
        client = client or self.client
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            status, _, body = client.get(path)
            seen.append((status, body))
            if done(status, body):
                return seen
            if time.monotonic() > deadline:
                self.fail('%s did not settle: %s' % (path, seen[-3:]))
            time.sleep(0.1)

    def wait_snapshot(self, guest, name, client=None):
        path = '/v1/instances/%s/snapshots/%s' % (guest.uuid, name)
        return self.wait_for(path, lambda s, b: s == 404 or b['snapshot'][
            'state'] not in ('creating', 'deleting', 'reverting',
                             'exporting'), client)[-1]

    def wait_idle(self, guest, client=None):
        path = '/v1/instances/%s' % guest.uuid
        return self.wait_for(path, lambda s, b: b['instance']['state'] !=
                             'busy', client)[-1][1]['instance']

    def wait_set(self, set_id, client=None):
        return self.wait_for('/v1/sets/%s' % set_id, lambda s, b: s == 404 or
                             b['set']['state'] not in ('creating', 'deleting',
                                                       'restoring'),
                             client)[-1]

    def verify_all(self, context=''):
        for guest in self.guests:
            self.use(guest)
            self.verify('%s: %s' % (context, guest.vm.name))
        self.use(self.guests[0])
