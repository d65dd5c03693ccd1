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

"""Notifications: off by default, their envelope and phases, and never a
failed operation because one could not be sent (the real bus:
tests/functional/api/test_notifications.py)."""

import threading
import time

import fixtures

from nova_lightsnap.api import notifications
from nova_lightsnap.db import api as db_api
from tests.support import testcase
from tests.unit.api import base

CTXT = {'request_id': 'req-1', 'project_id': 'project-a',
        'user_id': 'user-1', 'roles': ['member']}


class Recorder(object):

    def __init__(self):
        self.sent = []

    def info(self, ctxt, event_type, payload):
        self.sent.append(('info', event_type, payload))

    def error(self, ctxt, event_type, payload):
        self.sent.append(('error', event_type, payload))


class Broken(object):

    def info(self, *args):
        raise RuntimeError('the bus is down')

    error = info


class NotificationsTest(base.APIUnitTestCase):

    def test_off_by_default(self):
        self.assertIsNone(notifications.make_notifier(self.conf))

    def test_on_with_a_driver(self):
        self.conf.set_override('driver', ['log'],
                               'oslo_messaging_notifications')
        notifier = notifications.make_notifier(self.conf)
        self.assertTrue(notifier.is_enabled())
        self.assertTrue(notifier.publisher_id.startswith('lightsnap-api:'))

    def test_start_end_and_error(self):
        db_api.instance_create(base.UUID_A, 'project-a', host='compute-1')
        db_api.snapshot_create(base.UUID_A, 'n1', state='creating')
        self.service.notifier = Recorder()
        action = notifications.snapshot(self.service, CTXT, 'create',
                                        base.UUID_A, 'n1', 'compute-1')
        action.start()
        db_api.snapshot_update(base.UUID_A, 'n1', state='available',
                               size=4096)
        action.end()
        db_api.snapshot_delete(base.UUID_A, 'n1')
        action.error('gone')
        sent = self.service.notifier.sent
        self.assertEqual([('info', 'lightsnap.snapshot.create.start'),
                          ('info', 'lightsnap.snapshot.create.end'),
                          ('error', 'lightsnap.snapshot.create.error')],
                         [s[:2] for s in sent])
        start, end, error = [s[2]['lightsnap_object.data'] for s in sent]
        self.assertEqual('SnapshotActionPayload',
                         sent[0][2]['lightsnap_object.name'])
        self.assertEqual(('creating', None, 'project-a', 'user-1', 'req-1'),
                         (start['state'], start['size'], start['project_id'],
                          start['user_id'], start['request_id']))
        self.assertNotIn('duration', start)
        self.assertEqual(('available', 4096), (end['state'], end['size']))
        self.assertGreaterEqual(end['duration'], 0)
        # Gone by then: the last data read, as deleted.
        self.assertEqual(('deleted', 4096, 'gone'),
                         (error['state'], error['size'], error['error']))

    def test_a_notification_that_fails_is_only_logged(self):
        db_api.instance_create(base.UUID_A, 'project-a', host='compute-1')
        self.service.notifier = Broken()
        action = notifications.instance(self.service, CTXT, 'commit_all',
                                        base.UUID_A, 'compute-1')
        action.start()
        action.end()

    def test_no_notifier_sends_nothing(self):
        action = notifications.snapshot_set(self.service, CTXT, 'create', 1,
                                            'compute-1')
        action.start()
        action.error('x')


class Blocked(Recorder):
    """A bus that does not answer until released."""

    def __init__(self):
        super().__init__()
        self.released = threading.Event()

    def info(self, ctxt, event_type, payload):
        self.released.wait(30)
        super().info(ctxt, event_type, payload)

    def is_enabled(self):
        return True


class SenderTest(testcase.TestCase):

    def test_a_bus_that_hangs_holds_no_caller_and_order_is_kept(self):
        bus = Blocked()
        sender = notifications.Sender(bus)
        self.addCleanup(bus.released.set)
        started = time.monotonic()
        for i in range(5):
            sender.info(CTXT, 'e%d' % i, {})
        self.assertLess(time.monotonic() - started, 1)
        bus.released.set()
        deadline = time.monotonic() + 10
        while len(bus.sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(['e%d' % i for i in range(5)],
                         [s[1] for s in bus.sent])

    def test_close_sends_what_waits(self):
        bus = Recorder()
        sender = notifications.Sender(bus)
        for i in range(3):
            sender.info(CTXT, 'e%d' % i, {})
        sender.close()
        self.assertEqual(['e0', 'e1', 'e2'], [s[1] for s in bus.sent])
        self.assertFalse(sender.thread.is_alive())

    def test_past_the_queue_size_notifications_are_dropped(self):
        bus = Blocked()
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.api.notifications.QUEUE_SIZE', 3))
        sender = notifications.Sender(bus)
        self.addCleanup(bus.released.set)
        for i in range(10):
            sender.info(CTXT, 'e%d' % i, {})
        # One taken by the sending thread (or not yet), three waiting.
        self.assertLessEqual(sender.queue.qsize(), 3)
