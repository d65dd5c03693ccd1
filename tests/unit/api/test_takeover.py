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

"""A long operation whose API process died: taken over once, followed on
the compute, ended as its worker would have (fake compute client; the
real one, with a killed lightsnap-api, is in tests/functional/api)."""

import datetime
import threading

import fixtures
import oslo_messaging as messaging
from oslo_utils import timeutils

from nova_lightsnap.api import takeover
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap import exception
from tests.unit.api import base

HOST = 'compute-1'


def snap(name, size=4096, set_name=None):
    return {'name': name, 'created_at': '2026-01-01T00:00:00Z',
            'quiesced': False, 'set': set_name, 'stored': False,
            'size': size, 'disks': {}}


class Compute(object):
    """What the compute answers after the caller died: ``jobs`` (per
    uuid) runs out poll by poll, then ``instances`` is its state."""

    def __init__(self):
        self.jobs = {}
        self.instances = {}
        self.calls = []
        self.progress_error = None

    def instance(self, uuid, snapshots=(), last_job=None):
        self.instances[uuid] = {
            'uuid': uuid, 'enabled': True, 'store': False,
            'committed': False, 'snapshot_index': 3, 'root_index': 0,
            'snapshots': list(snapshots), 'job': None, 'last_job': last_job}

    def progress(self, ctxt, host, uuid):
        self.calls.append(('progress', uuid))
        if self.progress_error:
            raise self.progress_error
        percents = self.jobs.get(uuid)
        if percents:
            return {'op': 'x', 'percent': percents.pop(0), 'what': 'x'}
        return None

    def get_instance(self, ctxt, host, uuid, timeout=None):
        self.calls.append(('get_instance', uuid))
        return self.instances[uuid]

    def __getattr__(self, name):
        # Anything else would call the operation again.
        raise AssertionError('the compute was called: %s' % name)


class TakeoverTestCase(base.APIUnitTestCase):

    def make_client(self):
        return Compute()

    def setUp(self):
        super().setUp()
        for uuid in (base.UUID_A, base.UUID_B):
            db_api.instance_create(uuid, 'project-a', host=HOST,
                                   light_snapshot_enable=True)

    def running(self, uuids, task, seconds_ago=60):
        tasks.claim(uuids, task, 300)
        beat = timeutils.utcnow() - datetime.timedelta(seconds=seconds_ago)
        for uuid in uuids:
            db_api.instance_update(uuid, task_heartbeat=beat)

    def take_over(self, uuid, task):
        return takeover.Takeover(self.service, uuid, task).run()

    def task_of(self, uuid):
        row = db_api.instance_get(uuid)
        return row.task, row.task_state, row.task_error

    def snapshot(self, name, uuid=base.UUID_A):
        try:
            row = db_api.snapshot_get(uuid, name)
        except exception.NotFound:
            return None
        return row.state, row.error, row.size


class ClaimTest(TakeoverTestCase):

    def test_two_processes_race_one_wins(self):
        self.running([base.UUID_A], 'create')
        barrier = threading.Barrier(4)
        won = []

        def race():
            barrier.wait()
            won.append(tasks.take_over([base.UUID_A], 'create', 10))

        threads = [threading.Thread(target=race) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([False, False, False, True], sorted(won))
        # The winner's heartbeat is fresh: nobody takes it again.
        self.assertFalse(tasks.take_over([base.UUID_A], 'create', 10))

    def test_a_live_heartbeat_is_never_taken_over(self):
        self.running([base.UUID_A], 'create', seconds_ago=0)
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.assertFalse(tasks.take_over([base.UUID_A], 'create', 10))
        self.assertFalse(self.take_over(base.UUID_A, 'create'))
        reaper = takeover.Reaper(self.service)
        self.assertEqual([], reaper.scan())
        self.assertEqual([], self.client.calls)
        self.assertEqual(('create', 'running', None),
                         self.task_of(base.UUID_A))

    def test_a_set_is_taken_over_on_all_members_or_none(self):
        self.running([base.UUID_A, base.UUID_B], 'set-create')
        db_api.instance_update(base.UUID_B, task_heartbeat=timeutils.utcnow())
        self.assertFalse(tasks.take_over([base.UUID_A, base.UUID_B],
                                         'set-create', 10))
        # A's heartbeat was not renewed by the loser.
        self.assertTrue(tasks.take_over([base.UUID_A], 'set-create', 10))

    def test_another_task_is_not_taken_over(self):
        self.running([base.UUID_A], 'create')
        self.assertFalse(tasks.take_over([base.UUID_A], 'delete', 10))

    def test_a_request_bound_task_is_left_to_its_request(self):
        self.running([base.UUID_A], 'update')
        self.assertFalse(self.take_over(base.UUID_A, 'update'))
        self.assertEqual([], takeover.Reaper(self.service).scan())


class OutcomeTest(TakeoverTestCase):

    def test_create_that_succeeded_is_available_with_its_size(self):
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.instance(base.UUID_A, [snap('s1', 12345)],
                             {'op': 'create', 'name': 's1', 'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'create'))
        self.assertEqual(('available', None, 12345), self.snapshot('s1'))
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def test_create_that_failed_shows_the_compute_message(self):
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.instance(base.UUID_A, [],
                             {'op': 'create', 'name': 's1',
                              'error': 'disk full'})
        self.assertTrue(self.take_over(base.UUID_A, 'create'))
        self.assertEqual(('error', 'disk full', None), self.snapshot('s1'))
        self.assertEqual(('create', 'error', 'disk full'),
                         self.task_of(base.UUID_A))

    def test_create_the_compute_forgot_is_an_error_to_retry(self):
        # A compute restarted meanwhile: no last job, no snapshot.
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.instance(base.UUID_A, [])
        self.assertTrue(self.take_over(base.UUID_A, 'create'))
        state, error, _ = self.snapshot('s1')
        self.assertEqual('error', state)
        self.assertIn('lightsnap-api stopped', error)
        self.assertIn('retry', error)
        self.assertEqual('error', self.task_of(base.UUID_A)[1])

    def test_delete_that_succeeded_is_gone(self):
        self.running([base.UUID_A], 'delete')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.DELETING)
        db_api.snapshot_create(base.UUID_A, 's2', state=models.AVAILABLE)
        self.client.instance(base.UUID_A, [snap('s2')],
                             {'op': 'delete', 'name': 's1', 'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'delete'))
        self.assertIsNone(self.snapshot('s1'))
        self.assertEqual('available', self.snapshot('s2')[0])
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def test_delete_of_what_the_compute_never_had_succeeds(self):
        self.running([base.UUID_A], 'delete')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.DELETING)
        self.client.instance(base.UUID_A, [],
                             {'op': 'delete', 'name': 's1',
                              'error': 'no snapshot s1'})
        self.assertTrue(self.take_over(base.UUID_A, 'delete'))
        self.assertIsNone(self.snapshot('s1'))
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def test_delete_that_failed_shows_the_compute_message(self):
        self.running([base.UUID_A], 'delete')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.DELETING)
        self.client.instance(base.UUID_A, [snap('s1')],
                             {'op': 'delete', 'name': 's1',
                              'error': 'merge failed'})
        self.assertTrue(self.take_over(base.UUID_A, 'delete'))
        self.assertEqual(('error', 'merge failed'), self.snapshot('s1')[:2])
        self.assertEqual(('delete', 'error', 'merge failed'),
                         self.task_of(base.UUID_A))

    def test_revert_that_succeeded(self):
        self.running([base.UUID_A], 'revert')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.REVERTING)
        self.client.instance(base.UUID_A, [snap('s1')],
                             {'op': 'revert', 'name': 's1', 'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'revert'))
        self.assertEqual(('available', None), self.snapshot('s1')[:2])
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def test_revert_of_unknown_end_says_to_check(self):
        self.running([base.UUID_A], 'revert')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.REVERTING)
        self.client.instance(base.UUID_A, [snap('s1')],
                             {'op': 'create', 'name': 's0', 'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'revert'))
        self.assertEqual(('available', None), self.snapshot('s1')[:2])
        task, state, error = self.task_of(base.UUID_A)
        self.assertEqual(('revert', 'error'), (task, state))
        self.assertIn('Check it and retry the revert', error)

    def test_commit_all(self):
        self.running([base.UUID_A], 'commit-all')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.AVAILABLE)
        self.client.instance(base.UUID_A, [],
                             {'op': 'commit-all', 'name': None,
                              'error': None})
        self.client.instances[base.UUID_A]['committed'] = True
        self.assertTrue(self.take_over(base.UUID_A, 'commit-all'))
        self.assertIsNone(self.snapshot('s1'))
        self.assertTrue(db_api.instance_get(base.UUID_A).snapshot_committed)
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def make_set(self, state, snap_state):
        snapset = db_api.snapshot_set_create('nightly', 'project-a',
                                             state=state)
        for uuid in (base.UUID_A, base.UUID_B):
            db_api.snapshot_create(uuid, 'nightly', state=snap_state,
                                   set_id=snapset.id)
        return snapset.id

    def set_state(self, set_id):
        try:
            row = db_api.snapshot_set_get(set_id)
        except exception.NotFound:
            return None
        return row.state, row.error

    def test_set_create_that_succeeded(self):
        both = [base.UUID_A, base.UUID_B]
        self.running(both, 'set-create')
        set_id = self.make_set(models.CREATING, models.CREATING)
        last = {'op': 'set-create', 'name': 'nightly', 'error': None}
        for uuid in both:
            self.client.instance(uuid, [snap('nightly', 77, 'nightly')],
                                 last)
        # Found from either member: the set's members together.
        self.assertTrue(self.take_over(base.UUID_B, 'set-create'))
        self.assertEqual(('available', None), self.set_state(set_id))
        for uuid in both:
            self.assertEqual(('available', None, 77),
                             self.snapshot('nightly', uuid))
            self.assertEqual((None, None, None), self.task_of(uuid))

    def test_set_create_that_failed(self):
        both = [base.UUID_A, base.UUID_B]
        self.running(both, 'set-create')
        set_id = self.make_set(models.CREATING, models.CREATING)
        last = {'op': 'set-create', 'name': 'nightly',
                'error': 'guest agent did not answer'}
        for uuid in both:
            self.client.instance(uuid, [], last)
        self.assertTrue(self.take_over(base.UUID_A, 'set-create'))
        self.assertEqual(('error', 'guest agent did not answer'),
                         self.set_state(set_id))
        for uuid in both:
            self.assertEqual('error', self.snapshot('nightly', uuid)[0])
            self.assertEqual('error', self.task_of(uuid)[1])

    def test_set_delete_that_succeeded(self):
        both = [base.UUID_A, base.UUID_B]
        self.running(both, 'set-delete')
        set_id = self.make_set(models.DELETING, models.AVAILABLE)
        for uuid in both:
            self.client.instance(uuid, [], {'op': 'set-delete',
                                            'name': 'nightly',
                                            'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'set-delete'))
        self.assertIsNone(self.set_state(set_id))
        for uuid in both:
            self.assertIsNone(self.snapshot('nightly', uuid))
            self.assertEqual((None, None, None), self.task_of(uuid))

    def test_set_restore_that_succeeded(self):
        both = [base.UUID_A, base.UUID_B]
        self.running(both, 'set-restore')
        set_id = self.make_set(models.RESTORING, models.AVAILABLE)
        for uuid in both:
            self.client.instance(uuid, [snap('nightly', 5, 'nightly')],
                                 {'op': 'set-restore', 'name': 'nightly',
                                  'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'set-restore'))
        self.assertEqual(('available', None), self.set_state(set_id))
        for uuid in both:
            self.assertEqual((None, None, None), self.task_of(uuid))


class FollowTest(TakeoverTestCase):

    def test_a_busy_compute_is_followed_to_its_end(self):
        self.running([base.UUID_A], 'delete')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.DELETING)
        self.client.jobs[base.UUID_A] = [20, 50, 80]
        self.client.instance(base.UUID_A, [],
                             {'op': 'delete', 'name': 's1', 'error': None})
        seen = []
        heartbeat = tasks.heartbeat

        def recorded(uuids, progress=None, context=None):
            seen.append((progress, db_api.instance_get(
                base.UUID_A).task_state))
            return heartbeat(uuids, progress, context)

        self.useFixture(fixtures.MockPatchObject(tasks, 'heartbeat',
                                                 recorded))
        self.assertTrue(self.take_over(base.UUID_A, 'delete'))
        self.assertEqual([(20, 'running'), (50, 'running'),
                          (80, 'running')], seen)
        # Read only once no job ran any more.
        self.assertEqual([('progress', base.UUID_A)] * 4 +
                         [('get_instance', base.UUID_A)], self.client.calls)
        self.assertIsNone(self.snapshot('s1'))
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))

    def test_a_compute_that_does_not_answer_leaves_it_for_later(self):
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.progress_error = messaging.MessagingTimeout('slow')
        self.assertFalse(self.take_over(base.UUID_A, 'create'))
        self.assertEqual(('create', 'running', None),
                         self.task_of(base.UUID_A))
        self.assertEqual('creating', self.snapshot('s1')[0])

    def test_the_reaper_takes_over_what_it_finds(self):
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.instance(base.UUID_A, [snap('s1')],
                             {'op': 'create', 'name': 's1', 'error': None})
        reaper = takeover.Reaper(self.service)
        started = reaper.scan()
        self.assertEqual(1, len(started))
        started[0].join(30)
        self.assertEqual('available', self.snapshot('s1')[0])
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))
        self.assertEqual([], reaper.scan())


class Recorder(object):

    def __init__(self):
        self.sent = []

    def info(self, ctxt, event_type, payload):
        self.sent.append((event_type, payload['lightsnap_object.data']))

    error = info


class NoticeTest(TakeoverTestCase):

    def test_the_end_its_worker_would_have_notified(self):
        self.service.notifier = Recorder()
        self.running([base.UUID_A], 'delete')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.DELETING,
                               size=4096)
        self.client.instance(base.UUID_A, [],
                             {'op': 'delete', 'name': 's1', 'error': None})
        self.assertTrue(self.take_over(base.UUID_A, 'delete'))
        # The start was sent by the worker that died.
        [(event, data)] = self.service.notifier.sent
        self.assertEqual('lightsnap.snapshot.delete.end', event)
        self.assertEqual(('deleted', 4096, 'project-a'),
                         (data['state'], data['size'], data['project_id']))

    def test_a_failure_is_notified_with_its_message(self):
        self.service.notifier = Recorder()
        self.running([base.UUID_A], 'create')
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        self.client.instance(base.UUID_A, [],
                             {'op': 'create', 'name': 's1',
                              'error': 'disk full'})
        self.assertTrue(self.take_over(base.UUID_A, 'create'))
        [(event, data)] = self.service.notifier.sent
        self.assertEqual('lightsnap.snapshot.create.error', event)
        self.assertEqual(('error', 'disk full'),
                         (data['state'], data['error']))


class WorkerBeatsTest(TakeoverTestCase):

    def test_a_worker_waiting_for_its_last_reads_still_beats(self):
        """Else another process would take over a live operation while
        the compute is slow to answer get_instance."""
        beats = []
        heartbeat = tasks.heartbeat

        def recorded(uuids, progress=None, context=None):
            beats.append(progress)
            return heartbeat(uuids, progress, context)

        self.useFixture(fixtures.MockPatchObject(tasks, 'heartbeat',
                                                 recorded))
        self.client.instance(base.UUID_A, [snap('s1')])
        seen = []
        get_instance = self.client.get_instance

        def slow_get_instance(ctxt, host, uuid):
            first = len(beats)
            for _ in range(200):
                if len(beats) > first + 1:
                    break
                threading.Event().wait(0.02)
            seen.append(len(beats) - first)
            return get_instance(ctxt, host, uuid)

        self.client.get_instance = slow_get_instance
        tasks.claim([base.UUID_A], 'create', 300)
        db_api.snapshot_create(base.UUID_A, 's1', state=models.CREATING)
        op = worker.Operation(
            self.service, HOST, [base.UUID_A], {}, lambda: snap('s1'),
            lambda result, ctx: None, lambda message, ctx: None).start()
        op.thread.join(30)
        self.assertGreater(seen[0], 1)
        self.assertEqual((None, None, None), self.task_of(base.UUID_A))
