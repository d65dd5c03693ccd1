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

"""Long operations: claims, live progress, and a compute that does not
answer (fake compute client; the real one is in tests/functional/api)."""

import datetime
import threading

import oslo_messaging as messaging
from oslo_utils import timeutils

from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import tasks
from nova_lightsnap import exception
from tests.unit.api import base

INSTANCE = {'uuid': base.UUID_A, 'enabled': True, 'store': False,
            'committed': False, 'snapshot_index': 1, 'root_index': 0,
            'snapshots': [], 'job': None}


class SlowCompute(object):
    """Creates a snapshot once the API has polled a few percents."""

    def __init__(self):
        self.percents = [10, 40, 70]
        self.polled = threading.Event()
        self.snapshots = []
        self.fail_with = None

    def get_instance(self, ctxt, host, uuid, timeout=None):
        return dict(INSTANCE, snapshots=list(self.snapshots))

    def set_flags(self, ctxt, host, uuid, enable=None, store=None):
        return dict(INSTANCE, enabled=bool(enable))

    def progress(self, ctxt, host, uuid):
        if not self.percents:
            self.polled.set()
            return {'op': 'create', 'percent': 70, 'what': 'create'}
        return {'op': 'create', 'percent': self.percents.pop(0),
                'what': 'create'}

    def create_snapshot(self, ctxt, host, uuid, name=None, quiesce='auto',
                        timeout=None):
        assert self.polled.wait(30)
        if self.fail_with:
            raise self.fail_with
        snap = {'name': name, 'created_at': '2026-01-01T00:00:00Z',
                'quiesced': False, 'set': None, 'stored': False,
                'size': 4096, 'disks': {}}
        self.snapshots.append(snap)
        return snap


class WorkerTest(base.APIUnitTestCase):

    def make_client(self):
        return SlowCompute()

    def setUp(self):
        super().setUp()
        status, _, body = self.request('PATCH', '/v1/instances/' +
                                       base.UUID_A, {'enabled': True})
        self.assertEqual(200, status, body)
        self.path = '/v1/instances/%s/snapshots' % base.UUID_A

    def wait_state(self, name, states=('creating',)):
        seen = []
        for _ in range(600):
            body = self.request('GET', self.path + '/' + name)[2]
            seen.append(body['snapshot']['progress'])
            if body['snapshot']['state'] not in states:
                return body['snapshot'], seen
            threading.Event().wait(0.02)
        self.fail('still %s' % states)

    def test_progress_is_written_while_the_call_runs(self):
        status, _, body = self.request('POST', self.path, {'name': 's1'})
        self.assertEqual(202, status)
        snap, seen = self.wait_state('s1')
        self.assertEqual(('available', 100, 4096),
                         (snap['state'], snap['progress'], snap['size']))
        # Percents between 0 and 100 were visible while it ran.
        self.assertTrue(set(seen) & {10, 40, 70}, seen)
        instance = self.request('GET', '/v1/instances/' + base.UUID_A)[2]
        self.assertEqual(('idle', None), (instance['instance']['state'],
                                          instance['instance']['task']))

    def test_timeout_leaves_an_error_and_a_retry_works(self):
        self.client.fail_with = messaging.MessagingTimeout('gone')
        self.assertEqual(202, self.request('POST', self.path,
                                           {'name': 's1'})[0])
        snap, _ = self.wait_state('s1')
        self.assertEqual('error', snap['state'])
        self.assertIn('did not answer', snap['error'])
        task = self.request('GET', '/v1/instances/' +
                            base.UUID_A)[2]['instance']['task']
        self.assertEqual(('create', 'error'), (task['op'], task['state']))

        self.client.fail_with = None
        self.client.percents = [50]
        self.client.polled.clear()
        self.assertEqual(202, self.request('POST', self.path,
                                           {'name': 's1'})[0])
        snap, _ = self.wait_state('s1')
        self.assertEqual(('available', None), (snap['state'], snap['error']))

    def test_a_worker_that_died_blocks_nothing_for_ever(self):
        """What a killed lightsnap-api leaves: a running task with an old
        heartbeat and snapshots still "creating"."""
        self.conf.set_override('task_stale_after', 5, 'api')
        long_ago = timeutils.utcnow() - datetime.timedelta(seconds=60)
        db_api.instance_update(base.UUID_A, task='create',
                               task_state='running',
                               task_heartbeat=long_ago)
        db_api.snapshot_create(base.UUID_A, 's0', state='creating')
        db_api.snapshot_create(base.UUID_A, 's1', state='creating')
        self.assertEqual(202, self.request('POST', self.path,
                                           {'name': 's1'})[0])
        snap, _ = self.wait_state('s1')
        self.assertEqual('available', snap['state'])
        # The other one never reached the compute: a failure to retry.
        snap = self.request('GET', self.path + '/s0')[2]['snapshot']
        self.assertEqual('error', snap['state'])
        self.assertIn('retry it', snap['error'])


class ClaimTest(base.APIUnitTestCase):

    def setUp(self):
        super().setUp()
        db_api.instance_create(base.UUID_A, 'project-a', host='compute-1')
        db_api.instance_create(base.UUID_B, 'project-a', host='compute-1')

    def test_one_task_at_a_time(self):
        tasks.claim([base.UUID_A], 'create', 60)
        self.assertRaises(exception.InstanceBusy, tasks.claim,
                          [base.UUID_A], 'delete', 60)
        tasks.finish([base.UUID_A])
        tasks.claim([base.UUID_A], 'delete', 60)

    def test_a_set_claims_all_or_none(self):
        tasks.claim([base.UUID_B], 'create', 60)
        self.assertRaises(exception.InstanceBusy, tasks.claim,
                          [base.UUID_A, base.UUID_B], 'set-create', 60)
        # A was not left claimed by the failed set.
        self.assertIsNone(db_api.instance_get(base.UUID_A).task_state)

    def test_an_error_does_not_block_and_a_stale_task_is_taken_over(self):
        tasks.claim([base.UUID_A], 'create', 60)
        tasks.finish([base.UUID_A], 'it broke')
        row = db_api.instance_get(base.UUID_A)
        self.assertEqual(('error', 'it broke'), (row.task_state,
                                                 row.task_error))
        tasks.claim([base.UUID_A], 'create', 60)
        # A worker that died: its heartbeat gets old.
        self.assertRaises(exception.InstanceBusy, tasks.claim,
                          [base.UUID_A], 'x', 60)
        tasks.claim([base.UUID_A], 'x', -1)
