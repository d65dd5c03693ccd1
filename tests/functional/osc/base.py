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

"""A real lightsnap-api on loopback over real libvirt domains, for the
``openstack light`` commands and the scheduler.

The API is the console script (tests.functional.api.base.APIServer) in
its embedded mode: SQLite, the local libvirt, noauth. Its state directory
is the test domain's, so the engine view of the base class reads the same
metadata and every snapshot's data is checked against the model.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from testtools import content

from tests.functional.api import base as api_base
from tests.functional import base
from tests.support import domains

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
PROJECT = 'proj-osc'


class OSCTestCase(base.EngineTestCase):
    disks = {'vda': 'file', 'vdb': 'file'}
    extra_domains = 0
    api_options = {}

    def setUp(self):
        super().setUp()
        self.uuid = self.vm.domain.UUIDString()
        self.others = [self.useFixture(domains.TestDomain(self.disks))
                       for _ in range(self.extra_domains)]
        work = tempfile.mkdtemp(prefix='osc-', dir=domains.TEST_DIR)
        self.addCleanup(shutil.rmtree, work, True)
        projects = os.path.join(work, 'projects.json')
        with open(projects, 'w') as f:
            json.dump({vm.domain.UUIDString(): PROJECT
                       for vm in [self.vm] + self.others}, f)
        self.export_dir = os.path.join(work, 'exports')
        self.api = self.useFixture(api_base.APIServer(
            work, 'sqlite:///' + os.path.join(work, 'api.sqlite'),
            {'api': {'local_projects_file': projects,
                     'state_dir': self.vm.state_dir,
                     'export_dir': self.export_dir,
                     'job_timeout': '120', **self.api_options}}))
        self.endpoint = 'http://127.0.0.1:%d' % self.api.port
        self.addOnException(self._api_log)

    def _api_log(self, exc_info):
        self.addDetailUniqueName('api-log',
                                 content.text_content(self.api.output()))

    def env(self):
        # Nothing of the caller's OS_* environment leaks into the command.
        env = {'PATH': os.environ.get('PATH', os.defpath),
               'OS_NOVA_DISABLE_EVENTLET_PATCHING': '1'}
        if 'HOME' in os.environ:
            env['HOME'] = os.environ['HOME']
        return env

    def command(self, project, roles, args):
        return [OPENSTACK, '--os-auth-type', 'none',
                '--os-lightsnap-endpoint', self.endpoint,
                '--os-lightsnap-project-id', project,
                '--os-lightsnap-roles', roles, 'light'] + list(args)

    def openstack(self, *args, project=PROJECT, roles='member',
                  expect=0):
        """Runs ``openstack light ARGS``; returns (stdout, stderr)."""
        out = subprocess.run(self.command(project, roles, args),
                             capture_output=True, text=True, env=self.env(),
                             timeout=300)
        self.assertEqual(expect, out.returncode,
                         '%s\nstdout: %s\nstderr: %s' % (
                             ' '.join(args), out.stdout, out.stderr))
        return out.stdout, out.stderr

    def listing(self, *args):
        """-f json of a list over the instances of the whole host, which
        fails when it meets a domain that another test removes meanwhile;
        the next try does not."""
        for _ in range(2):
            out = subprocess.run(self.command(PROJECT, 'member', args +
                                              ('-f', 'json')),
                                 capture_output=True, text=True,
                                 env=self.env(), timeout=300)
            if out.returncode == 0:
                return json.loads(out.stdout)
            time.sleep(0.5)
        self.fail('%s: %s' % (' '.join(args), out.stderr))

    def json(self, *args, **kwargs):
        return json.loads(self.openstack(*(args + ('-f', 'json')),
                                         **kwargs)[0])
