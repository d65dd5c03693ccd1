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

"""Quotas on creates, with the limits of the configuration file and of
keystone (oslo.limit's own fixture), against the real SQLite database: a
create over a limit is 403 with the limit and the usage, and nothing is
created, on the compute nor in the database."""

import subprocess
import sys
import threading

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_limit import exception as limit_exceptions
from oslo_limit import fixture as limit_fixture
import oslo_messaging as messaging

from nova_lightsnap.api import quota
from nova_lightsnap.api.quota import oslo_limit_conf
from nova_lightsnap.api import servers
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from tests.unit.api import base

UUID_A = base.UUID_A
UUID_C = '11111111-2222-4333-8444-777777777777'
SNAPSHOTS = '/v1/instances/%s/snapshots'
MIB = 1024 * 1024


class Compute(object):
    """A compute that records the operations asked of it; its state reads
    do not answer (the database answers)."""

    def __init__(self):
        self.asked = []

    def get_instance(self, ctxt, host, uuid, timeout=None):
        raise messaging.MessagingTimeout('not asked in these tests')

    progress = get_instance

    def create_snapshot(self, *args, **kwargs):
        self.asked.append(('create_snapshot', args))

    def create_set(self, *args, **kwargs):
        self.asked.append(('create_set', args))


class QuotaTestCase(base.APIUnitTestCase):

    def make_client(self):
        return Compute()

    def setUp(self):
        super().setUp()
        # A second instance of project-a, on the same host.
        self.source.servers[UUID_C] = servers.Server(
            UUID_C, 'project-a', 'compute-1', 'c')
        self.started = []
        self.patch(worker.Operation, 'start',
                   lambda op: self.started.append(op))
        for uuid, project in ((UUID_A, 'project-a'), (UUID_C, 'project-a'),
                              (base.UUID_B, 'project-b')):
            db_api.instance_create(uuid, project, host='compute-1',
                                   light_snapshot_enable=True)

    def limit(self, **limits):
        for name, value in limits.items():
            self.conf.set_override(name, value, 'quota')

    def create(self, name, uuid=UUID_A, project='project-a'):
        return self.request('POST', SNAPSHOTS % uuid, {'name': name},
                            project=project)

    def create_set(self, name, uuids=(UUID_A, UUID_C)):
        return self.request('POST', '/v1/sets',
                            {'name': name, 'instances': list(uuids)})

    def assertRefused(self, reply, message):
        status, _headers, body = reply
        self.assertEqual(403, status, body)
        self.assertEqual({'error': {'code': 403, 'title': 'Forbidden',
                                    'message': message}}, body)
        self.assertEqual([], self.client.asked)
        self.assertEqual([], self.started)

    def names(self, uuid=UUID_A):
        return sorted(s.name for s in db_api.snapshot_list(uuid))


class ConfigQuotaTest(QuotaTestCase):

    def test_unlimited_by_default(self):
        self.assertEqual(202, self.create('s1')[0])
        self.assertEqual(202, self.create('s2', uuid=UUID_C)[0])
        self.assertEqual(2, len(self.started))

    def test_over_the_project_limit(self):
        self.limit(snapshots=2)
        db_api.snapshot_create(UUID_A, 'old', state=models.AVAILABLE)
        # Another instance of the project counts; another project not.
        db_api.snapshot_create(UUID_C, 'old', state=models.CREATING)
        db_api.snapshot_create(base.UUID_B, 'old', state=models.AVAILABLE)
        self.assertRefused(
            self.create('new'), 'quota exceeded for lightsnap_snapshots: '
            'limit 2, usage 2, requested 1')
        self.assertEqual(['old'], self.names())

    def test_failed_snapshots_do_not_count(self):
        self.limit(snapshots=1)
        db_api.snapshot_create(UUID_A, 'failed', state=models.ERROR)
        self.assertEqual(202, self.create('new')[0])
        self.started[:] = []
        # Retrying the failed one would be a second.
        self.assertRefused(
            self.create('failed', uuid=UUID_C),
            'quota exceeded for lightsnap_snapshots: limit 1, usage 1, '
            'requested 1')

    def test_retry_of_a_failed_create_within_the_limit(self):
        self.limit(snapshots=1)
        db_api.snapshot_create(UUID_A, 'failed', state=models.ERROR)
        self.assertEqual(202, self.create('failed')[0])
        self.assertEqual(models.CREATING,
                         db_api.snapshot_get(UUID_A, 'failed').state)

    def test_over_the_megabytes_limit(self):
        self.limit(snapshot_megabytes=10)
        db_api.snapshot_create(UUID_A, 'big', state=models.AVAILABLE,
                               size=6 * MIB)
        # A byte more counts a whole MiB.
        db_api.snapshot_create(UUID_C, 'big', state=models.STORED,
                               size=3 * MIB + 1)
        self.assertRefused(
            self.create('new'), 'quota exceeded for '
            'lightsnap_snapshot_megabytes: limit 10, usage 10, requested 1')

    def test_below_the_megabytes_limit_a_new_snapshot_is_taken(self):
        self.limit(snapshot_megabytes=10)
        db_api.snapshot_create(UUID_A, 'big', state=models.AVAILABLE,
                               size=9 * MIB)
        self.assertEqual(202, self.create('new')[0])

    def test_over_the_depth_of_an_instance(self):
        self.limit(snapshots_per_instance=2)
        db_api.snapshot_create(UUID_A, 's1', state=models.AVAILABLE)
        db_api.snapshot_create(UUID_A, 's2', state=models.REVERTING)
        # Stored: out of the chain.
        db_api.snapshot_create(UUID_A, 'kept', state=models.STORED)
        self.assertRefused(
            self.create('new'), 'quota exceeded for '
            'lightsnap_snapshots_per_instance: limit 2, usage 2, requested '
            '1 (instance %s)' % UUID_A)
        # Per instance: the other one has room.
        self.assertEqual(202, self.create('new', uuid=UUID_C)[0])

    def test_a_set_counts_one_snapshot_per_member(self):
        self.limit(snapshots=3)
        db_api.snapshot_create(UUID_A, 'old', state=models.AVAILABLE)
        db_api.snapshot_create(UUID_C, 'old', state=models.AVAILABLE)
        self.assertRefused(
            self.create_set('set1'), 'quota exceeded for '
            'lightsnap_snapshots: limit 3, usage 2, requested 2')
        self.assertEqual([], db_api.snapshot_set_list())
        self.limit(snapshots=4)
        self.assertEqual(202, self.create_set('set1')[0])
        self.assertEqual(['old', 'set1'], self.names(UUID_C))

    def test_a_set_over_a_members_depth(self):
        self.limit(snapshots_per_instance=1)
        db_api.snapshot_create(UUID_C, 'old', state=models.AVAILABLE)
        self.assertRefused(
            self.create_set('set1'), 'quota exceeded for '
            'lightsnap_snapshots_per_instance: limit 1, usage 1, requested '
            '1 (instance %s)' % UUID_C)
        self.assertEqual([], self.names())

    def test_two_creates_race_for_the_last_unit(self):
        self.limit(snapshots=1)
        # Both pass the first check before either inserts its row.
        both_checked = threading.Barrier(2, timeout=10)
        check = quota.check

        def first_check_together(svc, members):
            checked = check(svc, members)
            both_checked.wait()
            return checked

        self.patch(quota, 'check', first_check_together)
        replies = {}

        def create(uuid):
            replies[uuid] = self.create('new', uuid=uuid)

        threads = [threading.Thread(target=create, args=(u,))
                   for u in (UUID_A, UUID_C)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r[0] for r in replies.values())
        self.assertEqual([202, 403], statuses, replies)
        loser = [r for r in replies.values() if r[0] == 403][0]
        self.assertEqual('quota exceeded for lightsnap_snapshots: limit 1, '
                         'usage 1, requested 1',
                         loser[2]['error']['message'])
        self.assertEqual(1, len(self.names(UUID_A) + self.names(UUID_C)))
        self.assertEqual(1, len(self.started))
        # The loser's claim was rolled back with its row.
        self.assertEqual(1, len([
            r for r in db_api.instance_list(project_id='project-a')
            if r.task_state == models.TASK_RUNNING]))

    def test_usage_is_read_from_the_database_after_a_restart(self):
        self.limit(snapshots=2)
        self.assertEqual(202, self.create('s1')[0])
        self.assertEqual(202, self.create('s2', uuid=UUID_C)[0])
        # A new process: nothing but the database.
        db_api.dispose()
        db_api.configure(self.conf)
        self.started[:] = []
        self.assertRefused(
            self.create('s3', uuid=UUID_C), 'quota exceeded for '
            'lightsnap_snapshots: limit 2, usage 2, requested 1')
        self.assertEqual(2, self.limits()['lightsnap_snapshots']['usage'])

    def limits(self, project='project-a', roles='reader', query=''):
        status, _headers, body = self.request(
            'GET', '/v1/limits' + query, project=project, roles=roles)
        self.assertEqual(200, status, body)
        return body['limits']['resources']

    def test_show_limits(self):
        self.limit(snapshots=10, snapshots_per_instance=4)
        db_api.snapshot_create(UUID_A, 'a', state=models.AVAILABLE, size=7)
        db_api.snapshot_create(UUID_C, 'c', state=models.CREATING)
        db_api.snapshot_create(UUID_C, 'x', state=models.ERROR, size=9)
        self.assertEqual({
            'lightsnap_snapshots': {'limit': 10, 'usage': 2},
            'lightsnap_snapshot_megabytes': {'limit': -1, 'usage': 1},
            'lightsnap_snapshots_per_instance': {'limit': 4,
                                                 'usage': None},
        }, self.limits())

    def test_the_snapshots_of_a_deleted_server_do_not_count(self):
        self.limit(snapshots=1)
        db_api.snapshot_create(UUID_C, 'old', state=models.AVAILABLE)
        # Its record stays behind; the server is gone.
        del self.source.servers[UUID_C]
        self.assertEqual(202, self.create('new')[0])

    def test_only_an_admin_reads_another_projects_limits(self):
        status, _h, body = self.request(
            'GET', '/v1/limits?project_id=project-b', roles='reader')
        self.assertEqual(403, status, body)
        db_api.snapshot_create(base.UUID_B, 'b', state=models.AVAILABLE)
        got = self.limits(project='project-admin', roles='admin',
                          query='?project_id=project-b')
        self.assertEqual(1, got['lightsnap_snapshots']['usage'])

    def test_project_id_bounded(self):
        status, _h, body = self.request(
            'GET', '/v1/limits?project_id=' + 'p' * 256, roles='admin')
        self.assertEqual(400, status, body)


class UnifiedLimitsQuotaTest(QuotaTestCase):
    """Keystone's limits through oslo.limit, faked by its own fixture."""

    REGISTERED = {'lightsnap_snapshots': 5,
                  'lightsnap_snapshot_megabytes': 1000,
                  'lightsnap_snapshots_per_instance': 3}

    def setUp(self):
        super().setUp()
        self.conf.set_override('driver', 'unified_limits', 'quota')
        # oslo.limit reads the global configuration: here not from files.
        global_conf = self.useFixture(config_fixture.Config(cfg.CONF))
        oslo_limit_conf.register(cfg.CONF)
        global_conf.config(endpoint_id='lightsnap-endpoint',
                           group='oslo_limit')
        self.useFixture(fixtures.MockPatch(
            'nova_lightsnap.api.quota.oslo_limit_conf.load'))

    def keystone(self, projects=None, registered=None):
        self.useFixture(limit_fixture.LimitFixture(
            self.REGISTERED if registered is None else registered,
            projects or {}))

    def test_the_project_limit_first(self):
        self.keystone({'project-a': {'lightsnap_snapshots': 1}})
        db_api.snapshot_create(UUID_A, 'old', state=models.AVAILABLE)
        self.assertRefused(
            self.create('new', uuid=UUID_C), 'quota exceeded for '
            'lightsnap_snapshots: limit 1, usage 1, requested 1')
        # project-b has the registered limit.
        self.assertEqual(202, self.create('new', uuid=base.UUID_B,
                                          project='project-b')[0])

    def test_bytes_and_depth_from_keystone(self):
        self.keystone({'project-a': {'lightsnap_snapshots_per_instance': 1}})
        db_api.snapshot_create(UUID_A, 'old', state=models.AVAILABLE)
        self.assertRefused(
            self.create('new'), 'quota exceeded for '
            'lightsnap_snapshots_per_instance: limit 1, usage 1, requested '
            '1 (instance %s)' % UUID_A)
        db_api.snapshot_create(UUID_C, 'big', state=models.AVAILABLE,
                               size=1000 * MIB)
        self.assertRefused(
            self.create('new', uuid=UUID_C), 'quota exceeded for '
            'lightsnap_snapshot_megabytes: limit 1000, usage 1000, '
            'requested 1')

    def test_a_resource_keystone_does_not_know_allows_nothing(self):
        self.keystone(registered={'lightsnap_snapshot_megabytes': -1,
                                  'lightsnap_snapshots_per_instance': -1})
        self.assertRefused(
            self.create('new'), 'quota exceeded for lightsnap_snapshots: '
            'limit 0, usage 0, requested 1')

    def test_a_set_counts_one_snapshot_per_member(self):
        self.keystone({'project-a': {'lightsnap_snapshots': 1}})
        self.assertRefused(
            self.create_set('set1'), 'quota exceeded for '
            'lightsnap_snapshots: limit 1, usage 0, requested 2')

    def test_show_limits(self):
        self.keystone({'project-a': {'lightsnap_snapshots': 2}})
        db_api.snapshot_create(UUID_A, 'a', state=models.AVAILABLE, size=7)
        status, _h, body = self.request('GET', '/v1/limits', roles='reader')
        self.assertEqual(200, status, body)
        expected = {
            'project_id': 'project-a',
            'resources': {
                'lightsnap_snapshots': {'limit': 2, 'usage': 1},
                'lightsnap_snapshot_megabytes': {'limit': 1000, 'usage': 1},
                'lightsnap_snapshots_per_instance': {'limit': 3,
                                                     'usage': None}}}
        self.assertEqual(expected, body['limits'])

    def test_the_recheck_asks_keystone_nothing(self):
        keystone = self.useFixture(limit_fixture.LimitFixture(
            self.REGISTERED, {}))
        asked = []
        recheck = quota.recheck

        def counted(*args):
            before = len(keystone.mock_conn.method_calls)
            recheck(*args)
            asked.append(len(keystone.mock_conn.method_calls) - before)

        self.patch(quota, 'recheck', counted)
        self.assertEqual(202, self.create('new')[0])
        self.assertEqual([0], asked)

    def test_keystone_unreachable_is_503(self):
        self.useFixture(fixtures.MockPatch(
            'oslo_limit.limit._get_keystone_connection',
            side_effect=limit_exceptions.SessionInitError(
                'no route to keystone')))
        status, _h, body = self.create('new')
        self.assertEqual(503, status, body)
        self.assertIn('no route to keystone', body['error']['message'])
        self.assertEqual([], self.names())


class OsloLimitConfTest(base.APIUnitTestCase):
    """oslo.limit's [oslo_limit] from the service's own files, into the
    global configuration (in a process of its own: the global one is
    shared by every test of this one)."""

    config_text = ('[oslo_limit]\nendpoint_service_type = lightsnap\n'
                   'auth_type = password\nusername = lightsnap\n'
                   'auth_url = http://127.0.0.1:5000/v3\n')

    def test_loaded_from_the_service_files(self):
        script = (
            'import sys\n'
            'from oslo_config import cfg\n'
            'from nova_lightsnap.api import config\n'
            'from nova_lightsnap.api.quota import oslo_limit_conf\n'
            'from keystoneauth1 import loading\n'
            'conf = config.load([], default_config_files=[sys.argv[1]])\n'
            'oslo_limit_conf.load(conf)\n'
            'oslo_limit_conf.load(conf)\n'
            'loading.load_auth_from_conf_options(cfg.CONF, "oslo_limit")\n'
            'print(cfg.CONF.oslo_limit.endpoint_service_type,\n'
            '      cfg.CONF.oslo_limit.username)\n')
        out = subprocess.run(
            [sys.executable, '-c', script, self.conf.config_file[0]],
            capture_output=True, text=True, timeout=120)
        self.assertEqual('lightsnap lightsnap\n', out.stdout, out.stderr)
