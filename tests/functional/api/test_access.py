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

"""Authorization, bad input and concurrent operations against a real
lightsnap-api process: refused requests change nothing, neither in the
database nor on the disks."""

import threading

from oslo_utils import timeutils
import sqlalchemy as sa

from tests.functional.api import base


class AccessTest(base.APITestCase):
    projects = ('project-a', 'project-b')

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a, cls.b = cls.guests
        client = cls.server.client
        for guest in cls.guests:
            status, _, body = client.as_(guest.project).patch(
                '/v1/instances/%s' % guest.uuid, {'enabled': True})
            assert status == 200, body
        status, _, body = client.as_('project-a').post(
            '/v1/instances/%s/snapshots' % cls.a.uuid,
            {'name': 'keep', 'quiesce': 'off'})
        assert status == 202, body

    def setUp(self):
        super().setUp()
        self.wait_snapshot(self.a, 'keep', self.as_(self.a))
        self.snapshots_before = self.state_of_a()

    def state_of_a(self):
        """What the compute, the API and the disk directory say about
        A."""
        on_disk = [s['name'] for s in self.host.domain(self.a.vm.name).list()]
        status, _, body = self.as_(self.a).get(
            '/v1/instances/%s/snapshots' % self.a.uuid)
        self.assertEqual(200, status)
        listed = [(s['name'], s['state']) for s in body['snapshots']]
        return on_disk, listed, self.a.vm.local_files()

    def assert_unchanged(self):
        self.assertEqual(self.snapshots_before, self.state_of_a())

    def assert_error(self, status, reply, code):
        self.assertEqual(code, status, reply)
        self.assertEqual(code, reply['error']['code'])
        self.assertTrue(reply['error']['message'])
        self.assertTrue(reply['error']['title'])

    # -- projects -------------------------------------------------------------

    def test_another_project_sees_nothing(self):
        b = self.as_(self.b)
        listed = b.get('/v1/instances')[2]['instances']
        self.assertEqual([self.b.uuid], [i['uuid'] for i in listed])
        inst = '/v1/instances/%s' % self.a.uuid
        for method, path, body in [
                ('GET', inst, None),
                ('PATCH', inst, {'enabled': False}),
                ('GET', inst + '/snapshots', None),
                ('GET', inst + '/snapshots/keep', None),
                ('POST', inst + '/snapshots', {'name': 'theirs'}),
                ('DELETE', inst + '/snapshots/keep', None),
                ('POST', inst + '/snapshots/keep/revert', {}),
                ('POST', inst + '/snapshots/keep/export', {'file': 'x'}),
                ('POST', inst + '/commit-all', {})]:
            status, _, reply = b.request(method, path, body)
            self.assert_error(status, reply, 404)
            self.assertNotIn('keep', reply['error']['message'])
        status, _, reply = b.post('/v1/sets', {
            'name': 'mixed', 'instances': [self.b.uuid, self.a.uuid]})
        self.assert_error(status, reply, 404)
        self.assertEqual([], b.get('/v1/sets')[2]['sets'])
        self.assert_unchanged()
        self.assertEqual([], [s['name'] for s in self.host.domain(
            self.b.vm.name).list()])

    def test_policy_protected_fields(self):
        a = self.as_(self.a)
        inst = '/v1/instances/%s' % self.a.uuid
        status, _, reply = a.patch(inst, {'store': True, 'daily': True})
        self.assert_error(status, reply, 403)
        shown = a.get(inst)[2]['instance']
        self.assertEqual((False, False), (shown['store'], shown['daily']))
        status, _, reply = a.get('/v1/instances?all_projects=1')
        self.assert_error(status, reply, 403)

        admin = self.client.as_('project-a', 'admin')
        status, _, reply = admin.patch(inst, {'store': True})
        self.assertEqual(200, status, reply)
        self.assertIs(True, reply['instance']['store'])
        self.assertIs(True, self.state_file_flag('store'))
        status, _, reply = admin.patch(inst, {'store': False})
        self.assertEqual(200, status, reply)
        self.assertIs(False, self.state_file_flag('store'))
        every = admin.get('/v1/instances?all_projects=1')[2]['instances']
        self.assertLessEqual({self.a.uuid, self.b.uuid},
                             {i['uuid'] for i in every})

    def state_file_flag(self, name):
        self.use(self.a)
        return getattr(self.state(), name)

    def test_no_identity_is_401(self):
        status, _, reply = self.client.request('GET', '/v1/instances',
                                               project=None)
        self.assert_error(status, reply, 401)

    # -- bad input ------------------------------------------------------------

    def test_bad_input_changes_nothing(self):
        a = self.as_(self.a)
        inst = '/v1/instances/%s' % self.a.uuid
        cases = [
            ('POST', inst + '/snapshots', {'name': 'x', 'color': 'red'},
             'color'),
            ('POST', inst + '/snapshots', {'name': 5}, 'name'),
            ('POST', inst + '/snapshots', {'name': '../escape'},
             'not allowed'),
            ('POST', inst + '/snapshots', {'name': 'a/b'}, 'not allowed'),
            ('POST', inst + '/snapshots', {'name': '.hidden'},
             'not allowed'),
            ('POST', inst + '/snapshots', {'name': 'ok', 'quiesce': 'maybe'},
             'quiesce'),
            ('POST', inst + '/snapshots', ['name'], 'object'),
            ('PATCH', inst, {'enabled': 'yes'}, 'enabled'),
            ('PATCH', inst, {'owner': 'me'}, 'owner'),
            ('PATCH', inst, {}, 'the body'),
            ('POST', inst + '/snapshots/keep/revert', {'force': True},
             'force'),
            ('POST', inst + '/snapshots/keep/export',
             {'file': '../../etc/passwd'}, 'plain file name'),
            ('POST', inst + '/snapshots/keep/export', {'file': '/tmp/x'},
             'plain file name'),
            ('POST', inst + '/snapshots/keep/export', {}, '"file"'),
            ('POST', inst + '/commit-all', {'now': 1}, 'now'),
            ('POST', '/v1/sets', {'name': '../s', 'instances': [
                self.a.uuid]}, 'not allowed'),
            ('POST', '/v1/sets', {'name': 's', 'instances': [
                self.a.uuid, self.a.uuid]}, 'instances'),
            ('POST', '/v1/sets', {'name': 's', 'instances': ['not-a-uuid']},
             'instances'),
            ('POST', '/v1/sets', {'name': 's', 'instances': []},
             'instances'),
            ('POST', '/v1/sets', {'instances': [self.a.uuid]}, '"name"'),
        ]
        for method, path, body, words in cases:
            status, _, reply = a.request(method, path, body)
            self.assert_error(status, reply, 400)
            self.assertIn(words, reply['error']['message'],
                          (method, path, body))
        status, _, reply = a.request('POST', inst + '/snapshots',
                                     raw='{"name": ', headers={
                                         'Content-Type': 'application/json'})
        self.assert_error(status, reply, 400)
        self.assertIn('not valid JSON', reply['error']['message'])
        # A name in the path is checked as well (%2F is a "/").
        status, _, reply = a.post(inst + '/snapshots/..%2Fkeep/revert', {})
        self.assertIn(status, (400, 404), reply)
        self.assertEqual(reply['error']['code'], status)
        self.assert_unchanged()
        shown = a.get(inst)[2]['instance']
        self.assertEqual(('idle', None), (shown['state'], shown['task']))

    def test_duplicate_name_is_409(self):
        status, _, reply = self.as_(self.a).post(
            '/v1/instances/%s/snapshots' % self.a.uuid, {'name': 'keep'})
        self.assert_error(status, reply, 409)
        self.assertIn('already has a snapshot', reply['error']['message'])
        self.assert_unchanged()

    # -- one operation at a time ----------------------------------------------

    def test_running_task_is_409(self):
        """A task that another worker runs (claimed in the database, with
        a fresh heartbeat) refuses every other operation."""
        engine = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
        self.addCleanup(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE lightsnap_instances SET task='revert', "
                "task_state='running', task_heartbeat=:now "
                "WHERE instance_uuid=:uuid"),
                {'now': timeutils.utcnow(), 'uuid': self.b.uuid})

        def release():
            with engine.begin() as conn:
                conn.execute(sa.text(
                    "UPDATE lightsnap_instances SET task=NULL, "
                    "task_state=NULL, task_heartbeat=NULL "
                    "WHERE instance_uuid=:uuid"), {'uuid': self.b.uuid})
        self.addCleanup(release)
        b = self.as_(self.b)
        inst = '/v1/instances/%s' % self.b.uuid
        shown = b.get(inst)[2]['instance']
        self.assertEqual('busy', shown['state'])
        for method, path, body in [
                ('POST', inst + '/snapshots', {'name': 'n'}),
                ('POST', inst + '/commit-all', {}),
                ('PATCH', inst, {'enabled': False}),
                ('POST', '/v1/sets', {'name': 'bset',
                                      'instances': [self.b.uuid]})]:
            status, _, reply = b.request(method, path, body)
            self.assert_error(status, reply, 409)
            self.assertIn('another operation', reply['error']['message'])
        self.assertEqual([], b.get(inst + '/snapshots')[2]['snapshots'])
        self.assertEqual([], b.get('/v1/sets')[2]['sets'])
        self.assertEqual([], self.host.domain(self.b.vm.name).list())

    def test_concurrent_creates_one_at_a_time(self):
        """Requests racing for one instance: each either runs alone or is
        refused; every accepted snapshot exists, no refused one does."""
        b = self.as_(self.b)
        inst = '/v1/instances/%s' % self.b.uuid
        names = ['race%d' % i for i in range(6)]
        barrier = threading.Barrier(len(names))
        results = {}

        def post(name):
            client = b.as_(self.b.project)
            barrier.wait()
            results[name] = client.post(inst + '/snapshots',
                                        {'name': name, 'quiesce': 'off'})[0]
        threads = [threading.Thread(target=post, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        accepted = sorted(n for n, s in results.items() if s == 202)
        refused = sorted(n for n, s in results.items() if s == 409)
        self.assertEqual(sorted(names), sorted(accepted + refused), results)
        self.assertTrue(accepted and refused, results)
        for name in accepted:
            self.assertEqual('available', self.wait_snapshot(
                self.b, name, b)[1]['snapshot']['state'])
        self.assertEqual(accepted, sorted(
            s['name'] for s in self.host.domain(self.b.vm.name).list()))
        self.assertEqual(accepted, sorted(
            s['name'] for s in b.get(inst + '/snapshots')[2]['snapshots']))
        for name in accepted:
            self.assertEqual(202, b.delete(inst + '/snapshots/' + name)[0])
            self.assertEqual(404, self.wait_snapshot(self.b, name, b)[0])
