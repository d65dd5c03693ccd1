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

"""Requests read the compute's state when no operation runs: Nova changes
light snapshots without the API (a resize commits them), and an opt-in at
boot reaches the compute first."""

import threading
import time

import oslo_messaging as messaging

from nova_lightsnap.api import servers
from nova_lightsnap.api import sync
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import tasks
from tests.unit.api import base


def snapshot(name, stored=False):
    return {'name': name, 'created_at': '2026-01-01T00:00:00Z',
            'quiesced': False, 'set': None, 'stored': stored, 'size': 4096,
            'disks': {}}


class Compute(object):
    """What the compute host knows; counts the reads."""

    def __init__(self):
        self.instance = {'uuid': base.UUID_A, 'enabled': True,
                         'store': True, 'committed': False,
                         'snapshot_index': 2, 'root_index': 0,
                         'snapshots': [snapshot('s1', stored=True),
                                       snapshot('s2')], 'job': None}
        self.reads = 0
        self.down = False
        self.timeouts = 0  # reads that time out before it answers again
        self.gate = None  # an Event the reads wait for when set
        self.answers_in = 0  # seconds a read takes
        self.read_timeouts = []

    def get_instance(self, ctxt, host, uuid, timeout=None):
        self.reads += 1
        self.read_timeouts.append(timeout)
        if self.gate is not None:
            self.gate.wait(30)
        if self.down or self.timeouts or (timeout or 0) < self.answers_in:
            self.timeouts = max(0, self.timeouts - 1)
            raise messaging.MessagingTimeout('no answer')
        return dict(self.instance)

    def create_snapshot(self, ctxt, host, uuid, name, quiesce, timeout):
        return snapshot(name)


class RefreshTest(base.APIUnitTestCase):

    def make_client(self):
        return Compute()

    def snapshots(self):
        status, _, body = self.request(
            'GET', '/v1/instances/%s/snapshots' % base.UUID_A)
        self.assertEqual(200, status, body)
        return {s['name']: s['state'] for s in body['snapshots']}

    def test_a_resize_that_committed_is_seen_at_the_next_request(self):
        self.assertEqual({'s1': 'stored', 's2': 'available'},
                         self.snapshots())
        # The compute committed s2 before a resize; s1, stored, travelled.
        self.client.instance['snapshots'] = [snapshot('s1', stored=True)]
        self.client.instance['committed'] = True
        self.assertEqual({'s1': 'stored'}, self.snapshots())
        status, _, body = self.request('GET', '/v1/instances/' + base.UUID_A)
        self.assertTrue(body['instance']['committed'])
        # A name that is free again on the compute is free in the API.
        self.assertEqual(404, self.request(
            'GET', '/v1/instances/%s/snapshots/s2' % base.UUID_A)[0])

    def test_an_opt_in_the_first_sight_missed_is_seen_later(self):
        self.client.down = True
        status, _, body = self.request('GET', '/v1/instances/' + base.UUID_A)
        self.assertFalse(body['instance']['enabled'])
        self.client.down = False
        self.service.silent_hosts.quiet = 0
        status, _, body = self.request('GET', '/v1/instances/' + base.UUID_A)
        self.assertTrue(body['instance']['enabled'])

    def test_no_refusal_on_a_read_that_timed_out(self):
        # The first sight's short read times out on a busy compute: the
        # record says "not enabled", the compute says enabled.
        self.client.timeouts = 1
        status, _, body = self.request(
            'POST', '/v1/instances/%s/snapshots' % base.UUID_A,
            {'name': 's3'})
        self.assertEqual(202, status, body)
        self.assertTrue(db_api.instance_get(base.UUID_A).light_snapshot_enable)
        # The create's worker ends before the database goes.
        for _ in range(100):
            if db_api.instance_get(base.UUID_A).task_state != 'running':
                break
            time.sleep(0.1)

    def test_a_disabled_instance_is_refused_after_a_full_read(self):
        self.client.instance['enabled'] = False
        status, _, body = self.request(
            'POST', '/v1/instances/%s/snapshots' % base.UUID_A,
            {'name': 's3'})
        self.assertEqual(409, status, body)
        self.assertIn('not enabled', body['error']['message'])

    def test_a_running_operation_is_not_asked_nor_overwritten(self):
        self.snapshots()
        reads = self.client.reads
        tasks.claim([base.UUID_A], 'delete', 60)
        self.client.instance['snapshots'] = []
        self.assertEqual({'s1': 'stored', 's2': 'available'},
                         self.snapshots())
        self.assertEqual(reads, self.client.reads)
        tasks.finish([base.UUID_A])
        self.assertEqual({}, self.snapshots())

    def test_an_operation_that_ran_meanwhile_wins(self):
        self.snapshots()
        seen = db_api.instance_get(base.UUID_A).updated_at
        tasks.claim([base.UUID_A], 'delete', 60)
        tasks.finish([base.UUID_A])
        self.assertFalse(sync.apply_unless_changed(
            base.UUID_A, dict(self.client.instance, snapshots=[]), seen))
        self.assertEqual({'s2'}, {s.name for s in db_api.snapshot_list(
            base.UUID_A) if s.state == 'available'})

    def test_a_compute_that_does_not_answer_leaves_the_database_answer(self):
        self.assertEqual({'s1': 'stored', 's2': 'available'},
                         self.snapshots())
        self.client.down = True
        self.assertEqual({'s1': 'stored', 's2': 'available'},
                         self.snapshots())


class FirstSightTest(base.APIUnitTestCase):
    """A listing reads what the first sight could not."""

    def make_client(self):
        return Compute()

    def listed(self):
        status, _, body = self.request('GET', '/v1/instances')
        self.assertEqual(200, status, body)
        return {i['uuid']: i['enabled'] for i in body['instances']}

    def test_a_first_sight_that_failed_is_tried_again(self):
        self.client.down = True
        self.assertEqual({base.UUID_A: False}, self.listed())
        row = db_api.instance_get(base.UUID_A)
        self.assertIn('not read from the compute yet', row.task_error)
        self.client.down = False
        self.service.silent_hosts.quiet = 0
        self.assertEqual({base.UUID_A: True}, self.listed())
        reads = self.client.reads
        self.assertEqual({base.UUID_A: True}, self.listed())
        self.assertEqual(reads, self.client.reads)  # read once is enough

    def test_a_listing_beside_a_first_sight_waits_for_its_answer(self):
        # Another request (the daily scheduler's listing) reads the
        # compute for the first time; the compute is slow to answer.
        self.client.gate = threading.Event()
        first = threading.Thread(target=self.listed)
        first.start()
        self.addCleanup(first.join)
        for _ in range(100):
            if self.client.reads:
                break
            time.sleep(0.05)
        threading.Timer(0.5, self.client.gate.set).start()
        self.assertEqual({base.UUID_A: True}, self.listed())
        self.assertEqual(1, self.client.reads)  # its answer, not a new read

    def test_the_first_sight_waits_longer_than_a_progress_poll(self):
        # A compute busy with builds answers after a progress poll's
        # timeout: the first sight still makes the record from its answer.
        self.client.answers_in = self.service.short_timeout + 1
        self.assertEqual({base.UUID_A: True}, self.listed())
        self.assertEqual([self.service.first_sight_timeout],
                         self.client.read_timeouts)
        self.assertGreater(self.service.first_sight_timeout,
                           self.service.short_timeout)
        # Later reads are refreshes, each at the poll's short timeout.
        self.request('GET', '/v1/instances/' + base.UUID_A)
        self.assertEqual(2, self.client.reads)
        self.assertEqual(self.service.short_timeout,
                         self.client.read_timeouts[-1])

    def test_a_compute_silent_at_first_sight_is_left_alone_a_while(self):
        self.source.servers[base.UUID_B] = servers.Server(
            base.UUID_B, 'project-a', 'compute-1', 'b')
        self.client.down = True
        self.assertEqual({base.UUID_A: False, base.UUID_B: False},
                         self.listed())
        # One long read timed out; the other instance of that compute and
        # the next listings answer from the database without asking it.
        self.assertEqual(1, self.client.reads)
        self.listed()
        self.assertEqual(1, self.client.reads)
        self.assertIn('did not answer',
                      db_api.instance_get(base.UUID_B).task_error)
        # Once the quiet time is over it is asked again.
        self.client.down = False
        self.service.silent_hosts.quiet = 0
        self.assertEqual({base.UUID_A: True, base.UUID_B: True},
                         self.listed())

    def test_an_instance_first_seen_without_a_host_is_read_once_it_has_one(
            self):
        self.source.servers[base.UUID_A] = servers.Server(
            base.UUID_A, 'project-a', None, 'a')
        self.assertEqual({base.UUID_A: False}, self.listed())
        self.assertEqual(0, self.client.reads)
        self.source.servers[base.UUID_A] = servers.Server(
            base.UUID_A, 'project-a', 'compute-1', 'a')
        self.assertEqual({base.UUID_A: True}, self.listed())
