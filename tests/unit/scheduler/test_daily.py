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

"""The daily scheduler over a simulated clock and the API double."""

import datetime
import threading

from nova_lightsnap.scheduler import daily
from tests.support import testcase
from tests.unit.client import fake_api

UTC = datetime.timezone.utc


class FakeClock:
    """Simulated UTC time: sleeping only moves the hands."""

    def __init__(self, start):
        self.t = start

    def now(self):
        return self.t

    def monotonic(self):
        return self.t.timestamp()

    def sleep(self, seconds):
        self.t += datetime.timedelta(seconds=seconds)

    def set(self, *args):
        self.t = datetime.datetime(*args, tzinfo=UTC)


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


class SlotTest(testcase.TestCase):

    def test_latest_slot(self):
        t = datetime.time(2, 30)
        self.assertEqual(datetime.date(2026, 11, 21),
                         daily.latest_slot(at(2026, 11, 22, 2, 29, 59), t))
        self.assertEqual(datetime.date(2026, 11, 22),
                         daily.latest_slot(at(2026, 11, 22, 2, 30), t))
        self.assertEqual(datetime.date(2026, 11, 22),
                         daily.latest_slot(at(2026, 11, 22, 23, 59), t))

    def test_next_slot_time(self):
        t = datetime.time(2, 30)
        self.assertEqual(at(2026, 11, 22, 2, 30),
                         daily.next_slot_time(at(2026, 11, 22, 1), t))
        self.assertEqual(at(2026, 11, 23, 2, 30),
                         daily.next_slot_time(at(2026, 11, 22, 2, 30), t))

    def test_expired_keeps_newest_dailies_only(self):
        snaps = [{'name': n, 'state': s} for n, s in [
            ('daily-20261120', 'available'), ('manual', 'available'),
            ('daily-20261118', 'available'), ('daily-20261119', 'deleting'),
            ('daily-2026112', 'available'), ('daily-20261117', 'stored'),
            ('daily-20261121', 'error'), ('daily-20261122', 'creating')]]
        self.assertEqual(['daily-20261118'], daily.expired(snaps, 3))
        self.assertEqual(['daily-20261118', 'daily-20261120'],
                         daily.expired(snaps, 2))


class SchedulerTestBase(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock(at(2026, 11, 22, 0, 0))
        self.api = fake_api.FakeAPI(now=self.clock.now)
        self.admin = fake_api.client(self.api, project='svc',
                                     roles=('admin',))

    def scheduler(self, **kwargs):
        kwargs.setdefault('retention', 7)
        kwargs.setdefault('poll_interval', 300)
        return daily.DailyScheduler(self.admin, self.clock, daily_at='02:30',
                                    wait_interval=1, **kwargs)

    def run_until(self, sched, *when):
        """Let ``sched`` loop until the simulated time reaches ``when``."""
        end = at(*when)
        stop = threading.Event()
        while self.clock.now() < end:
            sched.run(stop, ticks=1)
            self.clock.sleep(min(sched.delay(),
                                 (end - self.clock.now()).total_seconds()))

    def dailies(self, uuid):
        return [n for n in self.api.names(uuid) if n.startswith('daily-')]

    def creates(self):
        return [(path, body['name']) for method, path, _, body
                in self.api.requests
                if method == 'POST' and path.endswith('/snapshots')]


class SchedulerTest(SchedulerTestBase):

    def test_daily_taken_at_daily_at(self):
        # An up-to-date instance (yesterday's snapshot is there).
        uuid = self.api.add_instance(project='p1', daily=True)
        self.api.add_snapshot(uuid, 'daily-20261121')
        sched = self.scheduler()
        self.run_until(sched, 2026, 11, 22, 2, 29, 59)
        self.assertEqual(['daily-20261121'], self.dailies(uuid))
        self.run_until(sched, 2026, 11, 24, 12, 0)
        self.assertEqual(['daily-20261121', 'daily-20261122',
                          'daily-20261123', 'daily-20261124'],
                         self.dailies(uuid))
        for name in ('daily-20261122', 'daily-20261123', 'daily-20261124'):
            snap = self.api.snapshots[uuid][name]
            self.assertEqual('available', snap['state'])
            # Taken right at 02:30 of its day, not one poll later.
            self.assertEqual('%s-%s-%sT02:30:00+00:00' % (
                name[6:10], name[10:12], name[12:14]), snap['created_at'])
        self.assertEqual(3, len(self.creates()))

    def test_daily_turned_off_after_the_listing_takes_none(self):
        uuid = self.api.add_instance(project='p1', daily=True)
        listed = self.admin.list_instances

        def stale(**kwargs):
            # The user turns daily off while the scheduler lists.
            out = listed(**kwargs)
            self.api.instances[uuid]['daily'] = False
            return out

        self.admin.list_instances = stale
        self.clock.set(2026, 11, 22, 2, 30)
        sched = self.scheduler()
        self.assertTrue(sched.tick())
        self.assertEqual([], self.dailies(uuid))
        self.assertEqual([], self.creates())
        # Turned on again the same day: that day's snapshot is taken.
        self.admin.list_instances = listed
        self.api.instances[uuid]['daily'] = True
        self.assertTrue(sched.tick())
        self.assertEqual(['daily-20261122'], self.dailies(uuid))

    def test_only_daily_enabled_instances_of_every_project(self):
        a = self.api.add_instance(project='p1', daily=True)
        b = self.api.add_instance(project='p2', daily=True)
        off = self.api.add_instance(project='p1', daily=False)
        disabled = self.api.add_instance(project='p2', daily=True,
                                         enabled=False)
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertTrue(self.scheduler().tick())
        self.assertEqual(['daily-20261122'], self.dailies(a))
        self.assertEqual(['daily-20261122'], self.dailies(b))
        self.assertEqual([], self.dailies(off))
        self.assertEqual([], self.dailies(disabled))
        self.assertEqual('admin', self.api.requests[0][2]['X-Roles'])

    def test_retention_keeps_last_n_dailies_and_never_others(self):
        uuid = self.api.add_instance(daily=True)
        for name in ('manual', 'daily-old', 'daily-20261101'):
            self.api.add_snapshot(uuid, name)
        sched = self.scheduler(retention=3)
        self.clock.set(2026, 11, 20, 3, 0)
        self.run_until(sched, 2026, 11, 26, 3, 0)
        self.assertEqual(['daily-20261124', 'daily-20261125',
                          'daily-20261126', 'daily-old', 'manual'],
                         self.api.names(uuid))
        deletes = [p.rsplit('/', 1)[1] for m, p, _, _ in self.api.requests
                   if m == 'DELETE']
        self.assertEqual(['daily-20261101', 'daily-20261120',
                          'daily-20261121', 'daily-20261122',
                          'daily-20261123'], deletes)

    def test_two_schedulers_never_double_snapshot(self):
        uuids = [self.api.add_instance(daily=True) for _ in range(3)]
        one, two = self.scheduler(retention=2), self.scheduler(retention=2)
        self.clock.set(2026, 11, 22, 2, 30)
        # The second scheduler wins the race on every instance: it runs
        # between the first one's look at the list and its create.
        raced = []

        def race(method, path):
            if (method == 'POST' and path.endswith('/snapshots') and
                    not raced):
                raced.append(path)
                self.assertTrue(two.tick())

        self.api.on_request = race
        self.assertTrue(one.tick())
        self.api.on_request = None
        for uuid in uuids:
            self.assertEqual(['daily-20261122'], self.dailies(uuid))
        self.assertEqual(1, len(raced))
        # The refused create is the only duplicate attempt.
        self.assertEqual(4, len(self.creates()))
        # Days go by with both alive, interleaved, until the 25th 01:30.
        stop = threading.Event()
        for _ in range(3 * 24):
            one.run(stop, ticks=1)
            two.run(stop, ticks=1)
            self.clock.sleep(3600)
        for uuid in uuids:
            self.assertEqual(['daily-20261123', 'daily-20261124'],
                             self.dailies(uuid))
        # Every (instance, day) created once, but for the raced one.
        creates = self.creates()
        self.assertEqual(9, len(set(creates)))
        self.assertEqual(10, len(creates))

    def test_missed_days_caught_up_once(self):
        uuid = self.api.add_instance(daily=True)
        self.clock.set(2026, 11, 22, 2, 30)
        self.scheduler().tick()
        # Down from the 22nd until the 26th, 10:00: one snapshot, today's.
        self.clock.set(2026, 11, 26, 10, 0)
        sched = self.scheduler()
        self.run_until(sched, 2026, 11, 27, 2, 0)
        self.assertEqual(['daily-20261122', 'daily-20261126'],
                         self.dailies(uuid))

    def test_restart_before_daily_at_takes_the_missed_day_once(self):
        uuid = self.api.add_instance(daily=True)
        self.clock.set(2026, 11, 22, 2, 30)
        self.scheduler().tick()
        # Back at 01:00 on the 26th: the latest passed time is the 25th's.
        self.clock.set(2026, 11, 26, 1, 0)
        sched = self.scheduler()
        self.run_until(sched, 2026, 11, 26, 2, 0)
        self.assertEqual(['daily-20261122', 'daily-20261125'],
                         self.dailies(uuid))
        self.run_until(sched, 2026, 11, 26, 3, 0)
        self.assertEqual(['daily-20261122', 'daily-20261125',
                          'daily-20261126'], self.dailies(uuid))

    def test_restart_same_day_does_nothing_twice(self):
        uuid = self.api.add_instance(daily=True)
        self.clock.set(2026, 11, 22, 2, 30)
        self.scheduler().tick()
        self.clock.set(2026, 11, 22, 9, 0)
        self.scheduler().tick()
        self.assertEqual(['daily-20261122'], self.dailies(uuid))
        self.assertEqual(1, len(self.creates()))

    def test_busy_instance_tried_again_next_poll(self):
        uuid = self.api.add_instance(daily=True)
        self.api.add_snapshot(uuid, 'manual')
        self.api.ops[(uuid, 'manual')] = 1000  # a long merge runs
        sched = self.scheduler()
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertFalse(sched.tick())
        self.assertEqual([], self.dailies(uuid))
        del self.api.ops[(uuid, 'manual')]
        self.clock.sleep(sched.delay())
        self.assertTrue(sched.tick())
        self.assertEqual(['daily-20261122'], self.dailies(uuid))

    def test_api_down_is_not_fatal(self):
        self.api.add_instance(daily=True)
        self.api.on_request = self._fail
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertFalse(self.scheduler().tick())

    def _fail(self, method, path):
        raise fake_api.Error(503, 'Service Unavailable', 'down')

    def test_failed_snapshot_not_retried_forever(self):
        uuid = self.api.add_instance(daily=True)
        self.api.fail['creating'] = 'quiesce required but no agent'
        sched = self.scheduler()
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertTrue(sched.tick())
        self.assertEqual('error',
                         self.api.snapshots[uuid]['daily-20261122']['state'])
        self.clock.set(2026, 11, 22, 9, 0)
        self.assertTrue(self.scheduler().tick())
        self.assertEqual(1, len(self.creates()))

    def test_over_a_quota_tried_again_the_next_day_only(self):
        uuid = self.api.add_instance(daily=True)
        self.api.on_request = self._over_quota
        sched = self.scheduler()
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertTrue(sched.tick())
        self.clock.set(2026, 11, 22, 9, 0)
        self.assertTrue(sched.tick())
        self.assertEqual(1, len(self.creates()))
        self.api.on_request = None
        self.clock.set(2026, 11, 23, 2, 30)
        self.assertTrue(sched.tick())
        self.assertEqual(['daily-20261123'], self.dailies(uuid))

    def _over_quota(self, method, path):
        if method == 'POST':
            raise fake_api.Error(403, 'Forbidden', 'quota exceeded for '
                                 'lightsnap_snapshots: limit 1, usage 1, '
                                 'requested 1')

    def test_newly_daily_instance_gets_todays_snapshot(self):
        sched = self.scheduler()
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertTrue(sched.tick())
        uuid = self.api.add_instance(daily=True)
        self.clock.set(2026, 11, 22, 15, 0)
        sched.tick()
        self.assertEqual(['daily-20261122'], self.dailies(uuid))

    def test_delay(self):
        sched = self.scheduler(poll_interval=300)
        self.clock.set(2026, 11, 22, 2, 29)
        self.assertEqual(60, sched.delay())
        self.clock.set(2026, 11, 22, 2, 30)
        self.assertEqual(300, sched.delay())
