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

"""Versioned notifications of lightsnap-api's operations, read from a
real RabbitMQ (tests/support/rabbitmq.py) as a billing or audit consumer
reads them: the queues notifications.info and notifications.error of the
service's exchange, with oslo.messaging's messagingv2 envelope."""

import json
import time

import kombu

from tests.functional.api import base
from tests.support import rabbitmq

WAIT = 60


class NotificationsTest(base.APITestCase):

    broker = None

    @classmethod
    def setUpClass(cls):
        cls.broker = rabbitmq.start()
        cls.addClassCleanup(cls.broker.stop)
        cls.server_options = {'oslo_messaging_notifications': {
            'driver': 'messagingv2', 'transport_url': cls.broker.url}}
        super().setUpClass()

    def setUp(self):
        super().setUp()
        # kombu names oslo.messaging's rabbit:// transport amqp://.
        self.connection = kombu.Connection(
            self.broker.url.replace('rabbit://', 'amqp://', 1))
        self.addCleanup(self.connection.release)
        self.seen = []
        self.uuid = self.guests[0].uuid
        self.path = '/v1/instances/' + self.uuid

    def drain(self):
        channel = self.connection.default_channel
        for queue in ('notifications.info', 'notifications.error'):
            while True:
                try:
                    message = channel.basic_get(queue, no_ack=True)
                except Exception:  # not declared yet: nothing was sent
                    channel = self.connection.default_channel
                    break
                if message is None:
                    break
                body = json.loads(message.body)
                self.seen.append(json.loads(body['oslo.message']))

    def wait_events(self, *event_types):
        """The notifications of ``event_types``, in that order, once all
        have arrived (others are kept for later waits)."""
        deadline = time.monotonic() + WAIT
        while True:
            self.drain()
            types = [n['event_type'] for n in self.seen]
            if all(t in types for t in event_types):
                found = []
                for t in event_types:
                    found.append(self.seen.pop(types.index(t)))
                    types = [n['event_type'] for n in self.seen]
                return found
            if time.monotonic() > deadline:
                self.fail('waited for %s; got %s' % (event_types, types))
            time.sleep(0.2)

    def data(self, notification, name):
        payload = notification['payload']
        self.assertEqual((name, 'lightsnap', '1.0'), (
            payload['lightsnap_object.name'],
            payload['lightsnap_object.namespace'],
            payload['lightsnap_object.version']))
        return payload['lightsnap_object.data']

    def test_operations_are_notified(self):
        self.assertEqual(200, self.client.patch(self.path,
                                                {'enabled': True})[0])
        # Create: start, then end with the size and the duration.
        self.assertEqual(202, self.client.post(
            self.path + '/snapshots', {'name': 'n1', 'quiesce': 'off'})[0])
        self.assertEqual('available',
                         self.wait_snapshot(self.guests[0], 'n1')[1][
                             'snapshot']['state'])
        start, end = self.wait_events('lightsnap.snapshot.create.start',
                                      'lightsnap.snapshot.create.end')
        self.assertEqual(('INFO', 'INFO'), (start['priority'],
                                            end['priority']))
        self.assertTrue(start['publisher_id'].startswith('lightsnap-api:'))
        first = self.data(start, 'SnapshotActionPayload')
        last = self.data(end, 'SnapshotActionPayload')
        self.assertEqual(('project-a', 'user-1', self.uuid, 'n1',
                          'test-compute', 'creating'),
                         (first['project_id'], first['user_id'],
                          first['instance_uuid'], first['name'],
                          first['host'], first['state']))
        self.assertNotIn('duration', first)
        self.assertEqual(('available', 'project-a'),
                         (last['state'], last['project_id']))
        self.assertGreater(last['size'], 0)
        self.assertGreaterEqual(last['duration'], 0)
        self.assertTrue(first['request_id'].startswith('req-'))
        self.assertEqual(first['request_id'], last['request_id'])
        # A failed create: error, with the message, priority ERROR.
        self.assertEqual(202, self.client.post(
            self.path + '/snapshots', {'name': 'n2',
                                       'quiesce': 'required'})[0])
        self.wait_snapshot(self.guests[0], 'n2')
        start, error = self.wait_events('lightsnap.snapshot.create.start',
                                        'lightsnap.snapshot.create.error')
        self.assertEqual('ERROR', error['priority'])
        failed = self.data(error, 'SnapshotActionPayload')
        self.assertEqual(('n2', 'error'), (failed['name'], failed['state']))
        self.assertTrue(failed['error'])
        self.assertEqual(202, self.client.delete(
            self.path + '/snapshots/n2')[0])
        self.wait_snapshot(self.guests[0], 'n2')
        self.wait_events('lightsnap.snapshot.delete.start',
                         'lightsnap.snapshot.delete.end')
        # Revert, commit-all, delete.
        self.assertEqual(202, self.client.post(
            self.path + '/snapshots/n1/revert', {})[0])
        self.wait_snapshot(self.guests[0], 'n1')
        self.wait_events('lightsnap.snapshot.revert.start',
                         'lightsnap.snapshot.revert.end')
        self.assertEqual(202, self.client.post(self.path + '/commit-all',
                                               {})[0])
        self.wait_idle(self.guests[0])
        start, end = self.wait_events('lightsnap.instance.commit_all.start',
                                      'lightsnap.instance.commit_all.end')
        self.assertEqual(self.uuid, self.data(
            end, 'InstanceActionPayload')['instance_uuid'])
        status, _, body = self.client.get(self.path + '/snapshots')
        for snap in body['snapshots']:
            self.assertEqual(202, self.client.delete(
                self.path + '/snapshots/' + snap['name'])[0])
            self.wait_snapshot(self.guests[0], snap['name'])
            start, end = self.wait_events('lightsnap.snapshot.delete.start',
                                          'lightsnap.snapshot.delete.end')
            self.assertEqual(
                (snap['name'], 'deleted'),
                (self.data(end, 'SnapshotActionPayload')['name'],
                 self.data(end, 'SnapshotActionPayload')['state']))
        # A set: create, restore, delete.
        status, _, body = self.client.post(
            '/v1/sets', {'name': 's1', 'instances': [self.uuid],
                         'quiesce': 'off'})
        self.assertEqual(202, status, body)
        set_id = body['set']['id']
        self.wait_set(set_id)
        start, end = self.wait_events('lightsnap.snapshot_set.create.start',
                                      'lightsnap.snapshot_set.create.end')
        created = self.data(end, 'SnapshotSetActionPayload')
        self.assertEqual((set_id, 's1', [self.uuid], 'available'),
                         (created['id'], created['name'],
                          created['instance_uuids'], created['state']))
        self.assertGreater(created['size'], 0)
        self.assertEqual(202, self.client.post(
            '/v1/sets/%d/restore' % set_id, {})[0])
        self.wait_set(set_id)
        self.wait_events('lightsnap.snapshot_set.restore.start',
                         'lightsnap.snapshot_set.restore.end')
        self.assertEqual(202, self.client.delete('/v1/sets/%d' % set_id)[0])
        self.wait_set(set_id)
        start, end = self.wait_events('lightsnap.snapshot_set.delete.start',
                                      'lightsnap.snapshot_set.delete.end')
        self.assertEqual('deleted', self.data(
            end, 'SnapshotSetActionPayload')['state'])
        self.drain()
        self.assertEqual([], [n['event_type'] for n in self.seen])
