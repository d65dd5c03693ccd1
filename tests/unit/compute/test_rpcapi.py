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

"""The lightsnap RPC layer over oslo.messaging's in-process fake:// driver.

Client, server and endpoint are the real ones; the backend is a recorder
(tests/support/rpc_backend.py). The same calls over a real RabbitMQ are in
tests/functional/test_rpc_rabbitmq.py.
"""

import inspect
import shutil
import tempfile
import threading
import time

import fixtures
import oslo_messaging as messaging
from oslo_messaging._drivers import common as driver_common
from oslo_messaging.rpc import dispatcher
from oslo_serialization import jsonutils

from nova_lightsnap.compute import endpoint
from nova_lightsnap.compute import rpcapi
from nova_lightsnap.engine import errors
from nova_lightsnap import exception
from nova_lightsnap import rpc
from tests.support import rpc_backend
from tests.support import testcase

HOST = 'compute-1'
UUID = '8a1c7e2e-5b4f-4a36-9d0c-0f1e2d3c4b5a'
UUID2 = '1f0e9d8c-7b6a-4958-8372-615049382716'
CTXT = {'request_id': 'req-6c0ffee0-0000-4000-8000-000000000001',
        'project_id': 'p1', 'user_id': 'u1', 'roles': ['member']}

CONTRACT = {'get_instance', 'set_flags', 'create_snapshot',
            'delete_snapshot', 'revert_snapshot', 'commit_all',
            'export_snapshot', 'create_set', 'restore_set', 'delete_set',
            'progress'}

# client method, its arguments after (ctxt, host), its keyword arguments,
# and what the backend must receive: positional and keyword arguments.
CALLS = [
    ('get_instance', (UUID,), {}, (UUID,), {}),
    ('set_flags', (UUID,), {'enable': True, 'store': False},
     (UUID,), {'enable': True, 'store': False}),
    ('create_snapshot', (UUID,), {'name': 'before-upgrade',
                                  'quiesce': 'required'},
     (UUID,), {'name': 'before-upgrade', 'quiesce': 'required'}),
    ('delete_snapshot', (UUID, 'snap-3'), {'purge': True},
     (UUID, 'snap-3'), {'purge': True}),
    ('revert_snapshot', (UUID, 'snap-2'), {}, (UUID, 'snap-2'), {}),
    ('commit_all', (UUID,), {}, (UUID,), {}),
    ('export_snapshot', (UUID, 'snap-1', 'backup.qcow2'), {},
     (UUID, 'snap-1', 'backup.qcow2'), {}),
    ('create_set', ('release-7', [UUID, UUID2]), {'quiesce': 'off'},
     ('release-7', [UUID, UUID2]), {'quiesce': 'off'}),
    ('restore_set', ('release-7', [UUID, UUID2]), {},
     ('release-7', [UUID, UUID2]), {}),
    ('delete_set', ('release-7', [UUID2]), {}, ('release-7', [UUID2]), {}),
]

LONG = {'create_snapshot', 'delete_snapshot', 'revert_snapshot',
        'commit_all', 'export_snapshot', 'create_set', 'restore_set',
        'delete_set'}


def engine_errors():
    return [cls for cls in vars(errors).values()
            if isinstance(cls, type) and
            issubclass(cls, errors.LightSnapError)]


def answer(method, args, kwargs):
    return {'method': method, 'args': list(args), 'kwargs': kwargs,
            'nested': {'sizes': [1, 2 ** 40], 'flag': True, 'none': None}}


class RPCTest(testcase.TestCase):

    @classmethod
    def setUpClass(cls):
        # One server for the class: stopping one that has served takes
        # about a second.
        super().setUpClass()
        confdir = tempfile.mkdtemp(prefix='lightsnap-rpc-')
        cls.addClassCleanup(shutil.rmtree, confdir)
        cls.transport = rpc_backend.service_transport('fake:/', confdir,
                                                      'lightsnap')
        cls.backend = rpc_backend.RecordingBackend()
        cls.server = endpoint.get_server(cls.transport, HOST, cls.backend)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.backend.release()
        cls.server.stop()
        cls.server.wait()
        cls.transport.cleanup()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.backend.reset()
        # A held call must end before the next test or the server's stop.
        self.addCleanup(self.backend.release)
        self.client = rpcapi.ComputeClient(self.transport, timeout=10)

    def raw_call(self, method, version=rpcapi.VERSION, **kwargs):
        target = messaging.Target(topic=rpcapi.TOPIC,
                                  exchange=rpcapi.EXCHANGE,
                                  server=HOST, version=version)
        raw = messaging.get_rpc_client(self.transport, target, timeout=10)
        return raw.call(CTXT, method, **kwargs)

    def test_the_three_sides_have_the_contract_methods(self):
        self.assertEqual(CONTRACT, endpoint.METHODS)
        public = {name for name, _ in inspect.getmembers(
            rpcapi.ComputeClient, inspect.isfunction)
            if not name.startswith('_')}
        self.assertEqual(CONTRACT, public)
        self.assertEqual(CONTRACT, {c[0] for c in CALLS} | {'progress'})
        for name in LONG:
            params = inspect.signature(getattr(rpcapi.ComputeClient, name))
            self.assertIn('timeout', params.parameters, name)

    def test_every_method_round_trips_with_its_arguments(self):
        for method, args, kwargs, want_args, want_kwargs in CALLS:
            got = getattr(self.client, method)(CTXT, HOST, *args, **kwargs)
            self.assertEqual(answer(method, want_args, want_kwargs), got,
                             method)
            self.assertEqual((method, want_args, want_kwargs),
                             self.backend.calls[-1])
        self.assertEqual(len(CALLS), len(self.backend.calls))

        self.assertEqual(self.backend.progress_answer,
                         self.client.progress(CTXT, HOST, UUID))
        self.backend.progress_answer = None
        self.assertIsNone(self.client.progress(CTXT, HOST, UUID))
        self.assertEqual([('progress', (UUID,), {})] * 2,
                         self.backend.calls[-2:])

    def test_defaults_reach_the_backend(self):
        self.client.set_flags(CTXT, HOST, UUID)
        self.client.create_snapshot(CTXT, HOST, UUID)
        self.client.create_set(CTXT, HOST, 'nightly', [UUID])
        self.assertEqual([
            ('set_flags', (UUID,), {'enable': None, 'store': None}),
            ('create_snapshot', (UUID,), {'name': None, 'quiesce': 'auto'}),
            ('create_set', ('nightly', [UUID]), {'quiesce': 'auto'}),
        ], self.backend.calls)

    def test_the_context_reaches_the_compute_as_a_dict(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name=endpoint.__name__, level='DEBUG'))
        self.client.commit_all(CTXT, HOST, UUID)
        self.assertIn('commit_all', logger.output)
        self.assertIn('(request %s)' % CTXT['request_id'], logger.output)

    def test_engine_errors_come_back_as_their_class_and_message(self):
        classes = engine_errors()
        self.assertIn(errors.NotFound, classes)
        self.assertIn(errors.LightSnapError, classes)
        for cls in classes:
            message = ('%s: instance %s has no snapshot "snap-9"; '
                       'list its snapshots' % (cls.__name__, UUID))
            self.backend.fail_with = cls(message)
            exc = self.assertRaises(
                errors.LightSnapError, self.client.delete_snapshot,
                CTXT, HOST, UUID, 'snap-9')
            self.assertIs(cls, type(exc))
            self.assertEqual(message, str(exc))
        self.assertEqual(len(classes), len(self.backend.calls))

    def test_an_unknown_method_is_refused(self):
        for method in ('format_disk', 'target', '_backend', '__init__',
                       'get_instance_ignore_errors'):
            self.assertRaises(dispatcher.NoSuchMethod, self.raw_call,
                              method, uuid=UUID)
        self.assertRaises(dispatcher.UnsupportedVersion, self.raw_call,
                          'get_instance', version='2.0', uuid=UUID)
        self.assertRaises(TypeError, self.raw_call, 'get_instance',
                          uuid=UUID, force=True)
        self.assertEqual([], self.backend.calls)
        # The same raw client reaches a contract method.
        self.assertEqual(answer('get_instance', (UUID,), {}),
                         self.raw_call('get_instance', uuid=UUID))

    def test_no_host_is_refused_before_sending(self):
        for host in (None, '', ['compute-1']):
            exc = self.assertRaises(errors.InvalidInput,
                                    self.client.get_instance,
                                    CTXT, host, UUID)
            self.assertIn('no compute host', str(exc))
        self.assertRaises(TypeError, self.client.get_instance,
                          object(), HOST, UUID)
        self.assertRaises(errors.InvalidInput, endpoint.get_server,
                          self.transport, '', self.backend)
        self.assertEqual([], self.backend.calls)

    def test_a_compute_that_does_not_serve_times_out(self):
        quick = rpcapi.ComputeClient(self.transport, timeout=1)
        start = time.monotonic()
        self.assertRaises(messaging.MessagingTimeout, quick.get_instance,
                          CTXT, 'compute-gone', UUID)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 3)
        self.assertEqual([], self.backend.calls)

    def test_a_call_that_overruns_its_timeout_times_out(self):
        self.backend.hold('delete_snapshot')
        start = time.monotonic()
        self.assertRaises(messaging.MessagingTimeout,
                          self.client.delete_snapshot, CTXT, HOST, UUID,
                          'snap-1', timeout=1)
        elapsed = time.monotonic() - start
        self.assertTrue(self.backend.entered.is_set())
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 3)  # not the client's default of 10 s

    def test_a_slow_call_does_not_block_progress(self):
        self.backend.hold('commit_all')
        results = []
        worker = threading.Thread(target=lambda: results.append(
            self.client.commit_all(CTXT, HOST, UUID)))
        worker.start()
        self.addCleanup(worker.join, 30)
        self.assertTrue(self.backend.entered.wait(10))

        start = time.monotonic()
        got = self.client.progress(CTXT, HOST, UUID)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(self.backend.progress_answer, got)
        self.assertTrue(worker.is_alive())
        self.assertEqual([], results)

        self.backend.release()
        worker.join(10)
        self.assertFalse(worker.is_alive())
        self.assertEqual([answer('commit_all', (UUID,), {})], results)


class RemoteErrorModulesTest(testcase.TestCase):
    """The engine's errors cross RPC under nova_lightsnap.exception; a
    compute of before they moved there sends them under the engine's
    module, and an API upgraded first still rebuilds them."""

    def rebuilt(self, module, name):
        data = jsonutils.dumps({'class': name, 'module': module,
                                'message': 'no snapshot "snap-9"',
                                'tb': [], 'args': ['no snapshot "snap-9"'],
                                'kwargs': {}})
        return driver_common.deserialize_remote_exception(
            data, rpc.ALLOWED_EXMODS)

    def test_both_module_paths_give_the_same_class(self):
        for module, name in (('nova_lightsnap.exception', 'EngineNotFound'),
                             ('nova_lightsnap.engine.errors', 'NotFound')):
            exc = self.rebuilt(module, name)
            self.assertIsInstance(exc, errors.NotFound)
            self.assertIsInstance(exc, exception.EngineError)
            self.assertEqual(404, exc.code)
            self.assertEqual('no snapshot "snap-9"', exc.message)

    def test_other_modules_stay_remote_errors(self):
        exc = self.rebuilt('nova_lightsnap.db.api', 'NotFound')
        self.assertIsInstance(exc, messaging.RemoteError)
