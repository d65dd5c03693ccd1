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

"""Policy defaults, and the two sources of instances."""

import json
import os

import fixtures
import libvirt
from openstack import exceptions as sdk_exceptions
from oslo_config import cfg

from nova_lightsnap.api import policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import servers

from tests.support import testcase

ETC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'etc')


class PolicyTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        conf = cfg.ConfigOpts()
        conf([], default_config_files=[])
        self.enforcer = policy.make_enforcer(conf)

    def allowed(self, rule, roles, project='p1', target='p1'):
        creds = {'project_id': project, 'roles': roles}
        return self.enforcer.authorize(rule, {'project_id': target}, creds)

    def test_members_act_on_their_project_only(self):
        self.assertTrue(self.allowed('lightsnap:snapshots:create',
                                     ['member']))
        self.assertFalse(self.allowed('lightsnap:snapshots:create',
                                      ['member'], target='p2'))

    def test_admin_only_rules(self):
        for rule in ('lightsnap:instances:update:store',
                     'lightsnap:all_projects'):
            self.assertFalse(self.allowed(rule, ['member']), rule)
            self.assertTrue(self.allowed(rule, ['admin']), rule)

    def test_readers_only_look(self):
        self.assertTrue(self.allowed('lightsnap:snapshots:list', ['reader']))
        self.assertFalse(self.allowed('lightsnap:snapshots:create',
                                      ['reader']))

    def test_the_old_defaults_hold_until_the_new_are_enforced(self):
        # Any role of the project, as before the personas.
        self.assertFalse(self.allowed('lightsnap:snapshots:create', []))
        conf = cfg.ConfigOpts()
        conf([], default_config_files=[])
        self.enforcer = policy.make_enforcer(conf)
        conf.set_override('enforce_new_defaults', False, 'oslo_policy')
        self.assertTrue(self.allowed('lightsnap:snapshots:create', []))
        self.assertFalse(self.allowed('lightsnap:snapshots:create', [],
                                      target='p2'))

    def test_every_rule_is_project_scoped(self):
        for rule in policies.list_rules():
            if hasattr(rule, 'operations'):
                self.assertEqual(['project'], rule.scope_types, rule.name)

    def test_every_rule_is_in_the_sample(self):
        with open(os.path.join(ETC, 'lightsnap-policy.yaml.sample')) as f:
            sample = f.read()
        for rule in policies.list_rules():
            self.assertIn('"%s"' % rule.name, sample)


class FakeDomain(object):

    def __init__(self, uuid, name):
        self.uuid = uuid
        self._name = name

    def UUIDString(self):
        return self.uuid

    def name(self):
        return self._name


class FakeConn(object):

    def __init__(self, doms):
        self.doms = doms

    def isAlive(self):
        return True

    def lookupByUUIDString(self, uuid):
        for dom in self.doms:
            if dom.uuid == uuid:
                return dom
        exc = libvirt.libvirtError('no domain')
        exc.err = (libvirt.VIR_ERR_NO_DOMAIN, 0, 'no domain', 0, '', '',
                   '', 0, 0)
        raise exc

    def listAllDomains(self, flags):
        return list(self.doms)


U1 = 'aaaaaaaa-0000-4000-8000-000000000001'
U2 = 'aaaaaaaa-0000-4000-8000-000000000002'


class LocalServersTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.map = os.path.join(self.tmp, 'projects.json')
        self.source = servers.LocalServers('qemu:///x', 'host-1', self.map,
                                           'default')
        self.source._conn = FakeConn([FakeDomain(U1, 'one'),
                                      FakeDomain(U2, 'two')])

    def write(self, data):
        with open(self.map, 'w') as f:
            f.write(data if isinstance(data, str) else json.dumps(data))

    def test_projects_from_the_map_and_the_default(self):
        self.write({U1.upper(): 'p1'})
        self.assertEqual(servers.Server(U1, 'p1', 'host-1', 'one'),
                         self.source.get(U1))
        self.assertEqual('default', self.source.get(U2).project_id)
        self.assertEqual([U1], [s.uuid for s in self.source.list('p1')])
        self.assertEqual(2, len(self.source.list()))
        self.assertIsNone(self.source.get(
            'aaaaaaaa-0000-4000-8000-000000000009'))

    def test_no_map_file_means_everything_is_default(self):
        self.assertEqual(2, len(self.source.list('default')))

    def test_a_broken_map_is_a_clear_error(self):
        for text in ('{', '["x"]', '{"%s": 3}' % U1):
            self.write(text)
            exc = self.assertRaises(servers.SourceError, self.source.get,
                                    U1)
            self.assertIn('local_projects_file', str(exc))


class FakeServer(object):

    def __init__(self, id, project_id, compute_host, name):
        self.id = id
        self.project_id = project_id
        self.compute_host = compute_host
        self.name = name


class FakeCompute(object):

    def __init__(self):
        self.queries = []

    def get_server(self, uuid):
        if uuid != U1:
            raise sdk_exceptions.NotFoundException('no server')
        return FakeServer(U1, 'p1', 'cmp-3', 'vm')

    def servers(self, **query):
        self.queries.append(query)
        return [FakeServer(U1, 'p1', 'cmp-3', 'vm')]


class NovaServersTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.compute = FakeCompute()

        class Conn(object):
            compute = self.compute
        self.source = servers.NovaServers(Conn())

    def test_owner_and_host_from_nova(self):
        self.assertEqual(servers.Server(U1, 'p1', 'cmp-3', 'vm'),
                         self.source.get(U1))
        self.assertIsNone(self.source.get(U2))

    def test_listing_asks_for_one_project(self):
        self.assertEqual([U1], [s.uuid for s in self.source.list('p1')])
        self.assertEqual([{'all_projects': True, 'project_id': 'p1'}],
                         self.compute.queries)

    def test_nova_errors_are_source_errors(self):
        def broken(uuid):
            raise sdk_exceptions.HttpException('503')
        self.compute.get_server = broken
        self.assertRaises(servers.SourceError, self.source.get, U1)


class NovaFromConfTest(testcase.TestCase):

    def test_unreachable_keystone_is_a_source_error(self):
        from nova_lightsnap.api import config
        from tests.support import dbservers
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'api.conf')
        with open(path, 'w') as f:
            f.write('[api]\nserver_source = nova\n[nova]\n'
                    'auth_type = password\n'
                    'auth_url = http://127.0.0.1:%d/v3\n'
                    'username = lightsnap\npassword = pw\n'
                    'project_name = service\nuser_domain_name = Default\n'
                    'project_domain_name = Default\n'
                    % dbservers.free_port())
        conf = config.load([], default_config_files=[path])
        source = servers.get_source(conf)
        self.assertIsInstance(source, servers.NovaServers)
        exc = self.assertRaises(servers.SourceError, source.get, U1)
        self.assertIn('Nova', str(exc))
