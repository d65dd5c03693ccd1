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

"""Bounded requests in the WSGI stack: bodies over [oslo_middleware]
max_request_body_size are refused (413, JSON) without being read, and no
error message carries more than a short prefix of a client's value."""

import io
import json

import webob

from nova_lightsnap.api import middleware
from nova_lightsnap.engine import errors as engine_errors
from nova_lightsnap import names
from tests.support import testcase
from tests.unit.api import base
from tests.unit.api import test_stack

LIMIT = 4096
HUGE = 50000
# The longest message a refusal of a HUGE value may carry.
SHORT = 400


class Unreadable(object):
    """A wsgi.input that fails the test when read."""

    def read(self, *args):
        raise AssertionError('the body was read')

    readline = read

    def __iter__(self):
        raise AssertionError('the body was read')


class BoundsTestCase(base.APIUnitTestCase):

    def make_client(self):
        # First sight of an instance asks a compute: none answers here.
        return test_stack.Unanswered()


class BodySizeTest(BoundsTestCase):
    config_text = '[oslo_middleware]\nmax_request_body_size = %d\n' % LIMIT

    def send(self, req):
        req.headers['X-Project-Id'] = 'project-a'
        req.headers['X-Roles'] = 'member'
        resp = req.get_response(self.app)
        return resp.status_int, resp.headers, resp.json_body

    def assertTooLarge(self, status, headers, body):
        self.assertEqual(413, status)
        self.assertEqual({'code': 413, 'title': 'Request Entity Too Large',
                          'message': 'the request body is larger than %d '
                                     'bytes ([oslo_middleware] '
                                     'max_request_body_size)' % LIMIT},
                         body['error'])
        self.assertIn('X-OpenStack-Request-Id', headers)

    def test_a_declared_length_over_the_limit_is_refused_unread(self):
        req = webob.Request.blank(
            '/v1/instances/%s/snapshots' % base.UUID_A, method='POST',
            content_type='application/json')
        req.environ['wsgi.input'] = Unreadable()
        req.environ['CONTENT_LENGTH'] = str(50 * 1024 * 1024)
        self.assertTooLarge(*self.send(req))

    def test_a_chunked_body_is_cut_at_the_limit(self):
        req = webob.Request.blank(
            '/v1/instances/%s/snapshots' % base.UUID_A, method='POST',
            content_type='application/json')
        raw = json.dumps({'name': 'x' * (LIMIT * 2)}).encode()
        req.environ['wsgi.input'] = io.BytesIO(raw)
        req.environ.pop('CONTENT_LENGTH', None)
        req.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
        req.environ['wsgi.input_terminated'] = True
        self.assertTooLarge(*self.send(req))

    def test_a_body_within_the_limit_passes(self):
        status, _, body = self.request(
            'PATCH', '/v1/instances/' + base.UUID_A,
            {'enabled': True, 'zz': 'y' * (LIMIT // 2)})
        self.assertEqual(400, status)
        self.assertIn('unknown field(s) in the body: zz', body['error'][
            'message'])


class EchoTest(BoundsTestCase):
    """Every place the API formats a client's value into a message, fed a
    HUGE value (within the default body limit)."""

    def refused(self, method, path, body=None, status=400, headers=None):
        got, _, answer = self.request(method, path, body, headers=headers)
        self.assertEqual(status, got, answer)
        message = answer['error']['message']
        self.assertLess(len(message), SHORT, message)
        return message

    def test_schema_refusals_show_a_prefix(self):
        path = '/v1/instances/%s/snapshots' % base.UUID_A
        message = self.refused('POST', path, {'name': 'n' * HUGE})
        self.assertIn('nnnnnnnn... (%d characters)' % (HUGE + 2), message)
        self.assertIn('is too long', message)
        self.refused('POST', path, {'quiesce': 'q' * HUGE})
        self.refused('PATCH', '/v1/instances/' + base.UUID_A,
                     {'enabled': ['e' * HUGE]})
        self.refused('POST', '/v1/sets', {'name': 's', 'instances':
                                          ['u' * HUGE]})
        self.refused('POST', '/v1/sets', {'name': 's', 'instances':
                                          [base.UUID_A, base.UUID_A],
                                          'quiesce': 'z' * HUGE})

    def test_unknown_fields_show_a_prefix_and_a_count(self):
        body = {'k%05d' % i + 'x' * 1000: 1 for i in range(40)}
        message = self.refused('POST', '/v1/instances/%s/snapshots'
                               % base.UUID_A, body)
        self.assertIn('and 35 more', message)

    def test_paths_show_a_prefix(self):
        long_part = 'p' * HUGE
        self.refused('GET', '/v1/' + long_part, status=404)
        self.refused('GET', '/v1/instances/' + long_part, status=404)
        self.refused('GET', '/v1/sets/' + long_part, status=404)
        self.refused('PUT', '/v1/instances/%s/snapshots/%s'
                     % (base.UUID_A, long_part), status=405)
        self.refused('GET', '/v1/instances/%s/snapshots/%s'
                     % (base.UUID_A, long_part), status=404)

    def test_a_content_type_shows_a_prefix(self):
        req = webob.Request.blank('/v1/instances/%s/snapshots'
                                  % base.UUID_A, method='POST')
        req.headers['X-Project-Id'] = 'project-a'
        req.headers['X-Roles'] = 'member'
        req.body = b'{}'
        req.content_type = 'text/' + 't' * HUGE
        resp = req.get_response(self.app)
        self.assertEqual(415, resp.status_int)
        self.assertLess(len(resp.json_body['error']['message']), SHORT)


class ClipTest(testcase.TestCase):

    def test_short_values_are_whole(self):
        self.assertEqual('abc', names.clip('abc'))
        self.assertEqual('x' * names.SHOWN, names.clip('x' * names.SHOWN))

    def test_long_values_are_a_prefix_and_a_length(self):
        self.assertEqual('x' * names.SHOWN + '... (%d characters)' % HUGE,
                         names.clip('x' * HUGE))

    def test_a_long_file_name_is_not_echoed(self):
        exc = self.assertRaises(engine_errors.InvalidInput,
                                names.check_basename, 'f' * HUGE)
        self.assertLess(len(str(exc)), SHORT)

    def test_error_bodies_are_capped(self):
        body = middleware.error_body(400, 'm' * HUGE)
        self.assertEqual(middleware.MAX_MESSAGE + 3,
                         len(body['error']['message']))


class FinalNewlineTest(base.APIUnitTestCase):
    """A path part that ends in a newline ("%0A"), which a "$" in a
    pattern lets through and libvirt's UUID parser ignores."""

    def setUp(self):
        super().setUp()
        # The source as libvirt behaves: "<uuid>\n" finds the domain.
        lenient = self.source.get
        self.source.get = lambda uuid: lenient(uuid.strip())

    def test_a_uuid_with_a_final_newline_is_not_found(self):
        for method, suffix in (('GET', ''), ('POST', '/commit-all'),
                               ('GET', '/snapshots'),
                               ('POST', '/snapshots')):
            status, _, answer = self.request(
                method, '/v1/instances/%s%%0A%s' % (base.UUID_A, suffix),
                {} if method == 'POST' else None)
            self.assertEqual(404, status, (method, suffix, answer))

    def test_a_route_with_a_final_newline_is_not_found(self):
        status, _, answer = self.request('GET', '/v1/instances%0A')
        self.assertEqual(404, status, answer)
