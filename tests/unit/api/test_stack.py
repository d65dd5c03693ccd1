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

"""The middleware stack: request ids, JSON errors, authentication,
routing and request validation."""

import fixtures
import oslo_messaging as messaging

from nova_lightsnap.api import lookup
from nova_lightsnap.api import schemas
from nova_lightsnap.api import util
from nova_lightsnap.db import api as db_api
from nova_lightsnap import exception
from tests.support import testcase
from tests.unit.api import base


class StackTest(base.APIUnitTestCase):

    def test_versions_need_no_identity_and_carry_a_request_id(self):
        status, headers, body = self.request('GET', '/', project=None)
        self.assertEqual(200, status)
        self.assertEqual('v1', body['versions'][0]['id'])
        self.assertTrue(headers['X-OpenStack-Request-Id'].startswith('req-'))

    def test_errors_are_json_with_a_request_id(self):
        status, headers, body = self.request('GET', '/v2/nothing')
        self.assertEqual(404, status)
        self.assertEqual({'code': 404, 'title': 'Not Found',
                          'message': 'no resource at /v2/nothing'},
                         body['error'])
        self.assertIn('X-OpenStack-Request-Id', headers)

    def test_wrong_method_is_405_with_allow(self):
        status, headers, body = self.request('PUT', '/v1/instances')
        self.assertEqual(405, status)
        self.assertEqual('GET', headers['Allow'])
        self.assertEqual('Method Not Allowed', body['error']['title'])

    def test_noauth_needs_a_project(self):
        status, _, body = self.request('GET', '/v1/instances', project=None)
        self.assertEqual(401, status)
        self.assertIn('X-Project-Id', body['error']['message'])

    def test_identity_headers_cannot_skip_authentication(self):
        status, _, body = self.request(
            'GET', '/v1/instances', project=None,
            headers={'X-Identity-Status': 'Confirmed',
                     'X-Project-Id': ''})
        self.assertEqual(401, status)

    def test_unexpected_errors_are_json_500(self):
        def broken(project_id=None):
            raise RuntimeError('boom')
        self.source.list = broken
        status, _, body = self.request('GET', '/v1/instances')
        self.assertEqual(500, status)
        self.assertNotIn('boom', body['error']['message'])

    def test_another_projects_instance_is_404(self):
        status, _, body = self.request('GET', '/v1/instances/' + base.UUID_B)
        self.assertEqual(404, status)
        status, _, body = self.request('GET', '/v1/instances/not-a-uuid')
        self.assertEqual(404, status)

    def test_listing_shows_own_instances_only(self):
        # First sight asks the compute, but does not need it to answer.
        self.service.client = self.service.progress_client = Unanswered()
        status, _, body = self.request('GET', '/v1/instances',
                                       project='project-b')
        self.assertEqual(200, status)
        self.assertEqual([base.UUID_B],
                         [i['uuid'] for i in body['instances']])

    def test_a_set_deleted_while_it_is_shown_is_no_500(self):
        # The delete worker removes the row between the look-up and the
        # answer: the GET answers from the row it found.
        snapset = db_api.snapshot_set_create('s', 'project-a',
                                             state='deleting')
        found = lookup.snapshot_set

        def snapshot_set(req, set_id):
            row = found(req, set_id)
            db_api.snapshot_set_delete(row.id)
            return row
        self.useFixture(fixtures.MockPatchObject(lookup, 'snapshot_set',
                                                 snapshot_set))
        status, _, body = self.request('GET', '/v1/sets/%d' % snapset.id)
        self.assertEqual((200, 'deleting'), (status, body['set']['state']))
        status, _, body = self.request('GET', '/v1/sets/%d' % snapset.id)
        self.assertEqual(404, status)


class Unanswered(object):

    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise messaging.MessagingTimeout('no answer')
        return call


class KeystoneStackTest(base.APIUnitTestCase):
    auth_strategy = 'keystone'
    # Never contacted: a request without a token is refused before.
    config_text = ('[keystone_authtoken]\n'
                   'www_authenticate_uri = http://127.0.0.1:5000/v3\n')

    def test_no_token_is_401_json(self):
        status, headers, body = self.request('GET', '/v1/instances')
        self.assertEqual(401, status)
        self.assertEqual(401, body['error']['code'])
        self.assertIn('X-OpenStack-Request-Id', headers)

    def test_versions_without_token(self):
        self.assertEqual(200, self.request('GET', '/', project=None)[0])


class FakeRequest(object):

    def __init__(self, body, content_type='application/json'):
        self.body = body
        self.content_type = content_type


class ValidationTest(testcase.TestCase):

    def bad(self, schema, raw, words):
        exc = self.assertRaises(exception.Invalid, util.extract_json,
                                FakeRequest(raw), schema)
        self.assertIn(words, exc.message)

    def test_empty_body_is_an_empty_object(self):
        self.assertEqual({}, util.extract_json(FakeRequest(b''),
                                               schemas.EMPTY))
        self.bad(schemas.INSTANCE_UPDATE, b'', 'the body')

    def test_unknown_fields_are_named(self):
        self.bad(schemas.SNAPSHOT_CREATE, b'{"name": "a", "zz": 1, "aa": 2}',
                 'unknown field(s) in the body: aa, zz')

    def test_types_and_enums(self):
        self.bad(schemas.SNAPSHOT_CREATE, b'{"name": 3}', 'name: 3 is not')
        self.bad(schemas.SNAPSHOT_CREATE, b'{"quiesce": "sometimes"}',
                 'quiesce')
        self.bad(schemas.INSTANCE_UPDATE, b'{"store": "true"}', 'store')
        self.bad(schemas.SET_CREATE,
                 b'{"name": "s", "instances": ["x"]}', 'instances/0')

    def test_not_json(self):
        self.bad(schemas.EMPTY, b'{', 'not valid JSON')
        exc = self.assertRaises(exception.UnsupportedMediaType,
                                util.extract_json,
                                FakeRequest(b'a=b', 'text/plain'),
                                schemas.EMPTY)
        self.assertEqual(415, exc.code)

    def test_query_flag(self):
        class Req(object):
            GET = {'all_projects': 'maybe'}
        self.assertRaises(exception.Invalid, util.query_flag, Req(),
                          'all_projects')
        Req.GET = {'all_projects': 'True'}
        self.assertTrue(util.query_flag(Req(), 'all_projects'))
