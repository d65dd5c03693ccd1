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

"""The lightsnap RPC over a real RabbitMQ (tests/support/rabbitmq.py).

The compute side and the API side each have their own configuration and
transport (their own AMQP connections), as in two services; the backend is
the recorder of tests/support/rpc_backend.py. What the fake driver cannot
show is checked here: exceptions serialized on the wire, replies and
timeouts through the broker, and the call-monitor heartbeats of long calls.
"""

import shutil
import tempfile
import threading
import time

import fixtures
import oslo_messaging as messaging

from nova_lightsnap.compute import endpoint
from nova_lightsnap.compute import rpcapi
from nova_lightsnap.engine import errors
from tests.support import dbservers
from tests.support import rabbitmq
from tests.support import rpc_backend
from tests.support import testcase

HOST = 'compute-1'
UUID = '3e0c2a51-9f7d-4c1e-8b6a-5d4c3b2a1f0e'
CTXT = {'request_id': 'req-0b5e7a3c-1111-4222-8333-944455556666',
        'project_id': 'p1', 'user_id': 'u1', 'roles': ['member']}


class RabbitMQRPCTest(testcase.TestCase):

    broker = None
    broker_error = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.broker = rabbitmq.start()
        except dbservers.ServerError as exc:
            cls.broker_error = str(exc)
            return
        cls.addClassCleanup(cls.broker.stop)
        confdir = tempfile.mkdtemp(prefix='lightsnap-rpc-')
        cls.addClassCleanup(shutil.rmtree, confdir)
        cls.backend = rpc_backend.RecordingBackend()
        # nova-compute's transport has Nova's control_exchange, the API
        # service's the default one.
        cls.compute_transport = rpc_backend.service_transport(
            cls.broker.url, confdir, 'compute', 'nova')
        cls.addClassCleanup(cls.compute_transport.cleanup)
        cls.server = endpoint.get_server(cls.compute_transport, HOST,
                                         cls.backend)
        cls.server.start()
        cls.addClassCleanup(cls.server.wait)
        cls.addClassCleanup(cls.server.stop)
        cls.addClassCleanup(cls.backend.release)
        cls.api_transport = rpc_backend.service_transport(
            cls.broker.url, confdir, 'api')
        cls.addClassCleanup(cls.api_transport.cleanup)

    def setUp(self):
        super().setUp()
        if self.broker_error:
            self.fail('RabbitMQ did not start:\n%s' % self.broker_error)
        self.backend.reset()
        self.addCleanup(self.backend.release)
        self.client = rpcapi.ComputeClient(self.api_transport, timeout=20)

    def test_calls_round_trip_through_the_broker(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name=endpoint.__name__, level='DEBUG'))
        got = self.client.create_snapshot(CTXT, HOST, UUID, name='pre',
                                          quiesce='off')
        self.assertEqual({'name': 'pre', 'quiesce': 'off'}, got['kwargs'])
        self.client.create_set(CTXT, HOST, 'release-7', [UUID])
        self.assertEqual(self.backend.progress_answer,
                         self.client.progress(CTXT, HOST, UUID))
        self.backend.progress_answer = None
        self.assertIsNone(self.client.progress(CTXT, HOST, UUID))
        self.assertEqual([
            ('create_snapshot', (UUID,), {'name': 'pre', 'quiesce': 'off'}),
            ('create_set', ('release-7', [UUID]), {'quiesce': 'auto'}),
            ('progress', (UUID,), {}),
            ('progress', (UUID,), {}),
        ], self.backend.calls)
        # The context arrived as a dict with the caller's request id.
        self.assertIn('create_snapshot', logger.output)
        self.assertIn('(request %s)' % CTXT['request_id'], logger.output)

    def test_engine_errors_keep_class_and_message(self):
        for cls in (errors.NotFound, errors.Busy, errors.LightSnapError):
            message = 'instance %s: %s, try again later' % (UUID,
                                                            cls.__name__)
            self.backend.fail_with = cls(message)
            exc = self.assertRaises(cls, self.client.revert_snapshot,
                                    CTXT, HOST, UUID, 'snap-1')
            self.assertIs(cls, type(exc))
            # Not the compute's traceback that oslo.messaging appends.
            self.assertEqual(message, str(exc))

        # Exceptions of other modules are never imported by name.
        raw = messaging.get_rpc_client(
            self.api_transport, messaging.Target(
                topic=rpcapi.TOPIC, exchange=rpcapi.EXCHANGE, server=HOST,
                version=rpcapi.VERSION), timeout=20)
        exc = self.assertRaises(messaging.RemoteError, raw.call, CTXT,
                                'target')
        self.assertEqual('NoSuchMethod', exc.exc_type)
        self.assertEqual(3, len(self.backend.calls))

    def test_timeouts(self):
        quick = rpcapi.ComputeClient(self.api_transport, timeout=1)
        start = time.monotonic()
        self.assertRaises(messaging.MessagingTimeout, quick.get_instance,
                          CTXT, 'compute-gone', UUID)
        self.assertLess(time.monotonic() - start, 4)

        self.backend.hold('export_snapshot')
        start = time.monotonic()
        self.assertRaises(messaging.MessagingTimeout,
                          self.client.export_snapshot, CTXT, HOST, UUID,
                          'snap-1', 'out.qcow2', timeout=1)
        self.assertLess(time.monotonic() - start, 4)
        self.assertTrue(self.backend.entered.is_set())

    def test_long_call_heartbeats_while_progress_is_served(self):
        monitored = rpcapi.ComputeClient(self.api_transport, timeout=30,
                                         monitor_timeout=2)
        start = time.monotonic()
        self.assertRaises(messaging.MessagingTimeout,
                          monitored.commit_all, CTXT, 'compute-gone', UUID)
        self.assertLess(time.monotonic() - start, 6)  # not 30

        self.backend.hold('commit_all')
        results = []
        worker = threading.Thread(target=lambda: results.append(
            monitored.commit_all(CTXT, HOST, UUID)))
        worker.start()
        self.addCleanup(worker.join, 30)
        self.assertTrue(self.backend.entered.wait(10))
        # Longer than monitor_timeout: the heartbeats keep the call alive.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.assertEqual(self.backend.progress_answer,
                             monitored.progress(CTXT, HOST, UUID))
            time.sleep(0.5)
        self.assertTrue(worker.is_alive())
        self.backend.release()
        worker.join(10)
        self.assertEqual('commit_all', results[0]['method'])
