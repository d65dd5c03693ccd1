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

"""What a daily run does, clock and API given from outside.

Nothing is remembered across restarts and nothing needs to be: the day's
snapshot has a name derived from the day (daily-YYYYMMDD) and the API
refuses a second snapshot of that name, so any number of schedulers,
restarted at any time, end with exactly one snapshot per instance and day.
"""

import datetime
import logging
import re

from nova_lightsnap import client as client_mod

LOG = logging.getLogger(__name__)

NAME_FORMAT = 'daily-%Y%m%d'
DAILY_NAME = re.compile(r'^daily-[0-9]{8}$')
# Snapshots already on their way out, or kept only as a stored file: they
# neither count towards the retention nor get deleted again.
RETIRED_STATES = frozenset(['deleting', 'stored'])
SETTLED_STATES = ('available', 'stored')


def parse_daily_at(text):
    hours, minutes = text.split(':')
    return datetime.time(int(hours), int(minutes))


def latest_slot(now, at):
    """The day of the latest daily time at or before ``now`` (UTC)."""
    day = now.date()
    if now.time().replace(tzinfo=None) < at:
        day -= datetime.timedelta(days=1)
    return day


def next_slot_time(now, at):
    today = datetime.datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    return today if now < today else today + datetime.timedelta(days=1)


def daily_name(day):
    return day.strftime(NAME_FORMAT)


def expired(snapshots, keep):
    """Names of the daily snapshots beyond the newest ``keep``, oldest
    first. The date in the name orders them, not created_at: a snapshot
    taken late for its day still belongs to that day."""
    dailies = sorted(s['name'] for s in snapshots
                     if DAILY_NAME.match(s['name']) and
                     s.get('state') not in RETIRED_STATES)
    return dailies[:-keep] if keep else dailies


class DailyScheduler:

    def __init__(self, client, clock, daily_at='02:30', retention=7,
                 poll_interval=300, quiesce='auto', operation_timeout=3600,
                 wait_interval=1.0):
        self.client = client
        self.clock = clock
        self.at = parse_daily_at(daily_at)
        self.retention = retention
        self.poll_interval = poll_interval
        self.quiesce = quiesce
        self.operation_timeout = operation_timeout
        self.wait_interval = wait_interval
        self.slot = None
        self.done = set()

    # -- one look at the instances ---------------------------------------

    def tick(self):
        """Snapshot every daily instance not yet done for the current day.

        Returns True when none is left over for a later look.
        """
        slot = latest_slot(self.clock.now(), self.at)
        if slot != self.slot:
            LOG.info('daily snapshots of %s (%s)', slot.isoformat(),
                     daily_name(slot))
            self.slot = slot
            self.done = set()
        try:
            instances = self.client.list_instances(all_projects=True)
        except client_mod.ClientError as exc:
            LOG.warning('cannot list the instances: %s', exc)
            return False
        left = 0
        for inst in instances:
            uuid = inst['uuid']
            if not inst.get('daily') or not inst.get('enabled', True):
                continue
            if uuid in self.done:
                continue
            try:
                taken = self.run_instance(uuid, slot)
            except client_mod.ClientError as exc:
                LOG.warning('instance %s: %s; tried again in %d s', uuid,
                            exc, self.poll_interval)
                left += 1
            else:
                if taken:
                    self.done.add(uuid)
        return left == 0

    def run_instance(self, uuid, slot):
        """False when the instance's daily snapshots were turned off since
        the listing: a listing of every project takes a while, and a user
        who turns daily off must not get one more daily snapshot (and a
        frozen guest) from it."""
        inst = self.client.get_instance(uuid)
        if not inst.get('daily') or not inst.get('enabled', True):
            LOG.info('instance %s: daily snapshots turned off since the '
                     'listing; none taken', uuid)
            return False
        self.snapshot(uuid, daily_name(slot))
        self.retain(uuid)
        return True

    def _wait_snapshot(self, uuid, name, **kwargs):
        return self.client.wait_snapshot(
            uuid, name, timeout=self.operation_timeout,
            interval=self.wait_interval, clock=self.clock.monotonic,
            sleep=self.clock.sleep, **kwargs)

    def _find(self, uuid, name):
        for snap in self.client.list_snapshots(uuid):
            if snap['name'] == name:
                return snap
        return None

    def snapshot(self, uuid, name):
        snap = self._find(uuid, name)
        if snap is None:
            try:
                self.client.create_snapshot(uuid, name=name,
                                            quiesce=self.quiesce)
                LOG.info('instance %s: taking %s', uuid, name)
            except client_mod.Forbidden as exc:
                # Over a quota: asking again at every poll would not free
                # a unit; the next day's slot tries again.
                LOG.error('instance %s: %s not taken: %s', uuid, name, exc)
                return
            except client_mod.Conflict:
                # Either another scheduler took it (done) or another
                # operation runs on the instance (later): the list tells.
                snap = self._find(uuid, name)
                if snap is None:
                    raise
                LOG.info('instance %s: %s was taken by another scheduler',
                         uuid, name)
        elif snap['state'] == 'error':
            # The API keeps the name: a new attempt would be refused as a
            # duplicate. The operator sees it and deletes it.
            LOG.error('instance %s: %s failed: %s', uuid, name,
                      snap.get('error'))
            return
        try:
            self._wait_snapshot(uuid, name, until=SETTLED_STATES)
        except client_mod.OperationFailed as exc:
            LOG.error('instance %s: %s failed: %s', uuid, name, exc)

    def retain(self, uuid):
        for name in expired(self.client.list_snapshots(uuid), self.retention):
            try:
                self.client.delete_snapshot(uuid, name)
            except client_mod.NotFound:
                continue  # another scheduler deleted it first
            LOG.info('instance %s: retention deletes %s', uuid, name)
            # One at a time: the instance runs one operation at a time.
            self._wait_snapshot(uuid, name, until=('stored',), gone_ok=True)

    # -- the service loop -----------------------------------------------

    def delay(self):
        """Seconds until the next look: the poll interval, or less when the
        next daily time comes sooner."""
        now = self.clock.now()
        until_slot = (next_slot_time(now, self.at) - now).total_seconds()
        return max(1.0, min(float(self.poll_interval), until_slot))

    def run(self, stop, ticks=None):
        """Look, sleep, look... until ``stop`` is set (or ``ticks`` looks
        were made)."""
        count = 0
        while not stop.is_set():
            self.tick()
            count += 1
            if ticks is not None and count >= ticks:
                break
            self.clock.sleep(self.delay())
