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

"""lightsnap-scheduler's daily pass on a real lightsnap-api and a real
domain, over a simulated calendar: the dailies it takes hold the data of
their moment, the retention merges the old ones away, a manual snapshot
stays, missed days give one snapshot."""

import datetime
import os
import time

from oslo_config import cfg

from nova_lightsnap import client
from nova_lightsnap.client import http
import nova_lightsnap.conf
from nova_lightsnap.scheduler import cmd
from tests.functional.osc import base


class SimulatedClock:
    """The calendar is simulated; waiting on the API takes real time."""

    def __init__(self):
        self.t = None

    def set(self, *args):
        self.t = datetime.datetime(*args, tzinfo=datetime.timezone.utc)

    def now(self):
        return self.t

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(min(seconds, 0.2))


class SchedulerOnAPITest(base.OSCTestCase):

    def scheduler_conf(self):
        path = os.path.join(self.api.workdir, 'scheduler.conf')
        with open(path, 'w') as f:
            f.write('[scheduler]\ndaily_at = 02:30\nretention = 2\n'
                    'quiesce = off\n'
                    '[lightsnap_api]\nauth_strategy = noauth\n'
                    'endpoint_override = %s\n' % self.endpoint)
        conf = cfg.ConfigOpts()
        nova_lightsnap.conf.register_scheduler_opts(conf)
        conf(['--config-file', path], project='lightsnap')
        return conf

    def daily_pass(self, sched, *when):
        self.clock.set(*when)
        # The local API lists every domain of this libvirt host, also the
        # ones other tests create and remove meanwhile; a listing that
        # meets one vanishing fails, and the scheduler tries again at its
        # next poll, as here.
        for _ in range(3):
            if sched.tick():
                return
            time.sleep(0.5)
        self.fail('a daily pass left work over three times')

    def names(self):
        return [s['name'] for s in self.user.list_snapshots(self.uuid)]

    def test_dailies_retention_and_missed_days(self):
        self.user = client.Client(http.noauth_adapter(
            self.endpoint, base.PROJECT))
        self.user.update_instance(self.uuid, enabled=True, daily=True)
        self.write_all()
        self.user.create_snapshot(self.uuid, name='keep', quiesce='off')
        self.user.wait_snapshot(self.uuid, 'keep', interval=0.2)
        self.model.create('keep')
        self.write_all()

        conf = self.scheduler_conf()
        self.clock = SimulatedClock()
        sched = cmd.build_scheduler(conf, cmd.build_client(conf), self.clock)
        sched.wait_interval = 0.2
        self.assertEqual((2, 'off'), (sched.retention, sched.quiesce))

        self.daily_pass(sched, 2026, 11, 22, 2, 30)
        self.model.create('daily-20261122')
        self.verify('first daily')
        # The API refuses the same day's name: what keeps two schedulers
        # from snapshotting twice.
        exc = self.assertRaises(client.Conflict,
                                self.user.create_snapshot, self.uuid,
                                name='daily-20261122')
        self.assertEqual(409, exc.status)
        # A second scheduler, the same day: nothing more.
        other = cmd.build_scheduler(conf, cmd.build_client(conf), self.clock)
        self.daily_pass(other, 2026, 11, 22, 9, 0)
        self.assertEqual(['keep', 'daily-20261122'], self.names())
        self.write_all()

        self.daily_pass(sched, 2026, 11, 23, 2, 30)
        self.model.create('daily-20261123')
        self.write_all()
        self.daily_pass(sched, 2026, 11, 24, 2, 31)
        self.model.create('daily-20261124')
        self.model.delete('daily-20261122')
        self.assertEqual(['keep', 'daily-20261123', 'daily-20261124'],
                         self.names())
        self.verify('retention of two')
        self.write_all()

        # Down from the 24th to the 28th, 10:00: one snapshot, the 28th's.
        self.daily_pass(cmd.build_scheduler(conf, cmd.build_client(conf),
                                            self.clock),
                        2026, 11, 28, 10, 0)
        self.model.create('daily-20261128')
        self.model.delete('daily-20261123')
        self.assertEqual(['keep', 'daily-20261124', 'daily-20261128'],
                         self.names())
        self.verify('after missed days')
