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

"""The client on the API's wire format (through the in-memory double)."""

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from nova_lightsnap import client
from nova_lightsnap.client import exceptions
from nova_lightsnap.client import http
from nova_lightsnap.client import polling
from nova_lightsnap.client import v1
from tests.support import testcase
from tests.unit.client import fake_api


class ClientTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.api = fake_api.FakeAPI()
        self.uuid = self.api.add_instance(project='p1')
        self.client = fake_api.client(self.api, project='p1')

    def test_noauth_headers_and_paths(self):
        self.client.list_instances()
        method, path, headers, body = self.api.requests[-1]
        self.assertEqual(('GET', '/v1/instances'), (method, path))
        self.assertEqual('p1', headers['X-Project-Id'])
        self.assertEqual('p1', headers['X-User-Id'])
        self.assertEqual('member', headers['X-Roles'])

    def test_names_are_quoted_in_paths(self):
        self.api.add_snapshot(self.uuid, 'a b/c')
        snap = self.client.get_snapshot(self.uuid, 'a b/c')
        self.assertEqual('a b/c', snap['name'])
        self.assertTrue(self.api.urls[-1].endswith('/snapshots/a%20b%2Fc'))

    def test_create_sends_only_given_fields(self):
        self.client.create_snapshot(self.uuid, name='s1')
        self.assertEqual({'name': 's1'}, self.api.requests[-1][3])
        self.client.wait_snapshot(self.uuid, 's1', interval=0)
        self.client.create_snapshot(self.uuid, quiesce='off')
        self.assertEqual({'quiesce': 'off'}, self.api.requests[-1][3])

    def test_conflict_carries_message_and_status(self):
        self.api.add_snapshot(self.uuid, 's1')
        exc = self.assertRaises(client.Conflict,
                                self.client.create_snapshot, self.uuid,
                                name='s1')
        self.assertEqual(409, exc.status)
        self.assertIn('already has a snapshot named s1', exc.message)
        self.assertEqual(exc.message, str(exc))
        self.assertEqual('req-fake', exc.request_id)
        self.assertIsInstance(exc, client.ClientError)

    def test_not_found_and_bad_request(self):
        exc = self.assertRaises(client.NotFound,
                                self.client.get_instance, 'nope')
        self.assertEqual(404, exc.status)
        exc = self.assertRaises(client.BadRequest,
                                self.client.export_snapshot,
                                *self._snap('s1'), file='../x')
        self.assertEqual('file must be a plain name', exc.message)
        self.assertEqual('available',
                         self.client.get_snapshot(self.uuid, 's1')['state'])

    def _snap(self, name):
        self.api.add_snapshot(self.uuid, name)
        return self.uuid, name

    def test_other_project_is_404(self):
        other = fake_api.client(self.api, project='p2')
        self.assertRaises(client.NotFound, other.get_instance, self.uuid)
        self.assertEqual([], other.list_instances())

    def test_update_instance_needs_a_field(self):
        self.assertRaises(ValueError, self.client.update_instance, self.uuid)
        inst = self.client.update_instance(self.uuid, daily=True)
        self.assertTrue(inst['daily'])
        self.assertEqual({'daily': True}, self.api.requests[-1][3])

    def test_all_projects_query(self):
        self.api.add_instance(project='p2')
        admin = fake_api.client(self.api, project='svc', roles=('admin',))
        self.assertEqual(2, len(admin.list_instances(all_projects=True)))
        self.assertTrue(self.api.urls[-1].endswith(
            '/v1/instances?all_projects=1'))
        self.assertRaises(client.Forbidden, self.client.list_instances,
                          all_projects=True)

    def test_connection_refused(self):
        adapter = http.noauth_adapter(
            'http://127.0.0.1:9', 'p1',
            session=ks_session.Session(connect_retries=0))
        exc = self.assertRaises(client.ConnectionFailed,
                                v1.Client(adapter).list_instances)
        self.assertIn('cannot reach lightsnap-api', str(exc))
        self.assertIsNone(exc.status)

    def test_keystone_errors_are_client_errors(self):
        class Refusing(object):
            def __init__(self, exc):
                self.exc = exc

            def request(self, *args, **kwargs):
                raise self.exc

        exc = self.assertRaises(
            client.Unauthorized, v1.Client(Refusing(
                ks_exc.Unauthorized('The request you have made requires '
                                    'authentication.'))).list_instances)
        self.assertIn('keystone refused the credentials', str(exc))
        self.assertEqual(401, exc.status)
        # keystone itself failing: the daily scheduler logs and retries.
        exc = self.assertRaises(
            client.ConnectionFailed, v1.Client(Refusing(
                ks_exc.InternalServerError('keystone broke')))
            .list_instances)
        self.assertIn('cannot authenticate with keystone: '
                      'InternalServerError', str(exc))

    def test_noauth_needs_endpoint_and_project(self):
        self.assertRaises(ValueError, http.noauth_adapter, None, 'p')
        self.assertRaises(ValueError, http.noauth_adapter, 'http://x',
                          '')


class FromResponseTest(testcase.TestCase):

    def test_api_error_body(self):
        exc = exceptions.from_response(
            503, {'error': {'code': 503, 'title': 'Service Unavailable',
                            'message': 'compute h1 does not answer'}})
        self.assertIsInstance(exc, client.ServiceUnavailable)
        self.assertEqual('compute h1 does not answer', exc.message)

    def test_not_json(self):
        exc = exceptions.from_response(502, '<html>Bad gateway</html>')
        self.assertIs(client.ClientError, type(exc))
        self.assertEqual(502, exc.status)
        self.assertEqual('<html>Bad gateway</html>', exc.message)
        self.assertEqual('HTTP 500', exceptions.from_response(500, '').message)


class WaitTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.api = fake_api.FakeAPI(steps=4)
        self.uuid = self.api.add_instance()
        self.client = fake_api.client(self.api)

    def test_progress_until_available(self):
        seen = []
        self.client.create_snapshot(self.uuid, name='s1')
        snap = self.client.wait_snapshot(
            self.uuid, 's1', interval=0,
            progress=lambda r, state, pct: seen.append((state, pct)))
        self.assertEqual('available', snap['state'])
        self.assertEqual([('creating', 25), ('creating', 50),
                          ('creating', 75), ('available', 100)], seen)

    def test_failure_raises_api_message(self):
        self.api.fail['reverting'] = 'QEMU said no: disk full'
        self.api.add_snapshot(self.uuid, 's1')
        self.client.revert_snapshot(self.uuid, 's1')
        exc = self.assertRaises(client.OperationFailed,
                                self.client.wait_snapshot, self.uuid, 's1',
                                interval=0)
        self.assertEqual('QEMU said no: disk full', str(exc))

    def test_delete_ends_when_gone(self):
        self.api.add_snapshot(self.uuid, 's1')
        self.client.delete_snapshot(self.uuid, 's1')
        self.assertIsNone(self.client.wait_snapshot(
            self.uuid, 's1', until=('stored',), gone_ok=True, interval=0))
        self.assertEqual([], self.api.names(self.uuid))

    def test_gone_without_gone_ok_raises(self):
        self.assertRaises(client.NotFound, self.client.wait_snapshot,
                          self.uuid, 'nope', interval=0)

    def test_timeout(self):
        ticks = iter(range(100))
        self.api.steps = 1000
        self.api.add_snapshot(self.uuid, 's1')
        self.client.revert_snapshot(self.uuid, 's1')
        exc = self.assertRaises(
            client.WaitTimeout, self.client.wait_snapshot, self.uuid,
            's1', timeout=3, clock=lambda: next(ticks), sleep=lambda s: None)
        self.assertIn('still reverting after 3 seconds', str(exc))

    def test_instance_task_error(self):
        inst = {'state': 'idle', 'task': {'op': 'commit-all',
                                          'state': 'error', 'progress': 40,
                                          'error': 'merge failed'}}
        exc = self.assertRaises(client.OperationFailed, client.wait,
                                lambda: inst, ('idle',),
                                state_of=polling.instance_state)
        self.assertEqual('merge failed', str(exc))

    def test_set_wait(self):
        set_ = self.client.create_set('s', [self.uuid])
        self.assertEqual('available', self.client.wait_set(
            set_['id'], interval=0)['state'])
        self.client.delete_set(set_['id'])
        self.assertIsNone(self.client.wait_set(set_['id'], until=(),
                                               gone_ok=True, interval=0))
