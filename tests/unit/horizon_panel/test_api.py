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

"""The panel's api module against a real HTTP server on loopback.

The server records what arrives and answers what the test queued: this
proves the URLs, methods, bodies and headers the panel sends and how it
reads the API's answers and errors.
"""

import json
import threading
from wsgiref import simple_server

from openstack_auth import utils as auth_utils
from requests.packages.urllib3.connection import HTTPConnection

from horizon_panel.api import lightsnap as api
from nova_lightsnap.client import exceptions as client_exc
from tests.unit.horizon_panel import base


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Recorder(object):
    def __init__(self):
        self.calls = []
        self.answers = []

    def __call__(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(length) if length else b''
        headers = {k[5:].replace('_', '-').title(): v
                   for k, v in environ.items() if k.startswith('HTTP_')}
        if environ.get('CONTENT_TYPE'):
            headers['Content-Type'] = environ['CONTENT_TYPE']
        self.calls.append((environ['REQUEST_METHOD'], environ['PATH_INFO'],
                           json.loads(body) if body else None, headers))
        status, payload = self.answers.pop(0)
        raw = payload if isinstance(payload, bytes) else \
            json.dumps(payload).encode()
        ctype = 'text/plain' if isinstance(payload, bytes) else \
            'application/json'
        start_response(status, [('Content-Type', ctype),
                                ('Content-Length', str(len(raw)))])
        return [raw]


class ApiTests(base.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recorder = Recorder()
        cls.server = simple_server.make_server(
            '127.0.0.1', 0, cls.recorder, handler_class=_QuietHandler)
        cls.thread = threading.Thread(target=cls.server.serve_forever,
                                      daemon=True)
        cls.thread.start()
        cls.lightsnap_url = 'http://127.0.0.1:%d' % cls.server.server_port

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        # Horizon's test case refuses every real connection; this one is
        # the point of the test.
        HTTPConnection.connect = self._real_conn_request
        self.request.user = auth_utils.get_user(self.request)
        self.recorder.calls[:] = []
        self.recorder.answers[:] = []

    def answer(self, status, payload):
        self.recorder.answers.append((status, payload))

    def test_headers_identify_the_user(self):
        self.answer('200 OK', {'instances': [base.instance().to_dict()]})
        instances = api.instance_list(self.request)
        self.assertEqual([base.UUID1], [i.id for i in instances])
        self.assertTrue(instances[0].enabled)
        method, path, body, headers = self.recorder.calls[0]
        self.assertEqual(('GET', '/v1/instances', None),
                         (method, path, body))
        user = self.request.user
        self.assertEqual(self.token.id, headers['X-Auth-Token'])
        self.assertEqual(user.project_id, headers['X-Project-Id'])
        self.assertEqual(user.id, headers['X-User-Id'])
        self.assertEqual('member,reader', headers['X-Roles'])
        self.assertEqual('application/json', headers['Accept'])

    def test_every_call(self):
        inst = {'instance': base.instance().to_dict()}
        snap = {'snapshot': base.snapshot().to_dict()}
        sset = {'set': base.snapshot_set().to_dict()}
        u = base.UUID1
        cases = [
            (lambda: api.instance_get(self.request, u), inst,
             ('GET', '/v1/instances/%s' % u, None)),
            (lambda: api.instance_update(self.request, u, daily=True,
                                         store=False), inst,
             ('PATCH', '/v1/instances/%s' % u,
              {'daily': True, 'store': False})),
            (lambda: api.instance_commit_all(self.request, u), inst,
             ('POST', '/v1/instances/%s/commit-all' % u, {})),
            (lambda: api.snapshot_list(self.request, u),
             {'snapshots': [base.snapshot().to_dict()]},
             ('GET', '/v1/instances/%s/snapshots' % u, None)),
            (lambda: api.snapshot_get(self.request, u, 'a b'), snap,
             ('GET', '/v1/instances/%s/snapshots/a b' % u, None)),
            (lambda: api.snapshot_create(self.request, u, name='n1',
                                         quiesce='off'), snap,
             ('POST', '/v1/instances/%s/snapshots' % u,
              {'name': 'n1', 'quiesce': 'off'})),
            (lambda: api.snapshot_create(self.request, u), snap,
             ('POST', '/v1/instances/%s/snapshots' % u, {})),
            (lambda: api.snapshot_delete(self.request, u, 'n1'), snap,
             ('DELETE', '/v1/instances/%s/snapshots/n1' % u, None)),
            (lambda: api.snapshot_revert(self.request, u, 'n1'), snap,
             ('POST', '/v1/instances/%s/snapshots/n1/revert' % u, {})),
            (lambda: api.snapshot_export(self.request, u, 'n1', 'n1.qcow2'),
             snap, ('POST', '/v1/instances/%s/snapshots/n1/export' % u,
                    {'file': 'n1.qcow2'})),
            (lambda: api.set_list(self.request),
             {'sets': [base.snapshot_set().to_dict()]},
             ('GET', '/v1/sets', None)),
            (lambda: api.set_get(self.request, 'set-1'), sset,
             ('GET', '/v1/sets/set-1', None)),
            (lambda: api.set_create(self.request, 'release', [u],
                                    quiesce='auto'), sset,
             ('POST', '/v1/sets', {'name': 'release', 'instances': [u],
                                   'quiesce': 'auto'})),
            (lambda: api.set_restore(self.request, 'set-1'), sset,
             ('POST', '/v1/sets/set-1/restore', {})),
            (lambda: api.set_delete(self.request, 'set-1'), sset,
             ('DELETE', '/v1/sets/set-1', None)),
        ]
        for call, payload, expected in cases:
            self.answer('202 Accepted', payload)
            result = call()
            self.assertEqual(expected, self.recorder.calls[-1][:3])
            if expected[2] is not None:
                self.assertEqual('application/json',
                                 self.recorder.calls[-1][3]['Content-Type'])
            self.assertIsNotNone(result)

    def test_errors_carry_the_api_message(self):
        self.answer('409 Conflict', {'error': {
            'code': 409, 'title': 'Conflict',
            'message': 'delete of s1 runs on the instance; wait for it.'}})
        with self.assertRaises(client_exc.Conflict) as ctx:
            api.snapshot_create(self.request, base.UUID1, name='s2')
        self.assertEqual('delete of s1 runs on the instance; wait for it.',
                         str(ctx.exception))
        self.assertEqual(409, ctx.exception.code)
        self.answer('404 Not Found', {'error': {
            'code': 404, 'title': 'Not Found', 'message': 'No such snapshot'}})
        self.assertRaises(client_exc.NotFound, api.snapshot_get, self.request,
                          base.UUID1, 'gone')
        self.answer('502 Bad Gateway', b'proxy says no')
        with self.assertRaises(client_exc.ClientError) as ctx:
            api.set_list(self.request)
        self.assertEqual((502, 'proxy says no'),
                         (ctx.exception.code, str(ctx.exception)))

    def test_no_api_is_a_connection_failure(self):
        # A port that nobody serves: bind, read the number, close.
        sock_server = simple_server.make_server('127.0.0.1', 0,
                                                self.recorder)
        port = sock_server.server_port
        sock_server.server_close()
        self.request.user.service_catalog[-1]['endpoints'] = [
            {'region': 'RegionOne', 'interface': 'public',
             'url': 'http://127.0.0.1:%d/v1/' % port}]
        with self.assertRaises(client_exc.ConnectionFailed) as ctx:
            api.instance_list(self.request)
        # The service's own 503 family: Horizon shows it as a message.
        self.assertIsInstance(ctx.exception, client_exc.ClientError)
        self.assertIn('cannot reach lightsnap-api', str(ctx.exception))

    def test_availability_follows_the_catalog(self):
        self.assertTrue(api.is_available(self.request))
        self.request.user.service_catalog = [
            s for s in self.request.user.service_catalog
            if s['type'] != 'lightsnap']
        self.assertFalse(api.is_available(self.request))
