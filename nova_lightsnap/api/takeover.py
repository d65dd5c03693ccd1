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

"""Long operations whose API process died, taken over and ended.

The RPC call of a long operation runs on the compute to its end whatever
happens to its caller. When the API process that made it dies (a WSGI
worker recycled after max_requests, killed, restarted), its worker stops
renewing the task's heartbeat. Every API process runs a :class:`Reaper`
that takes over a long operation's task whose heartbeat is older than
:func:`silent_after` (one conditional UPDATE: of several processes, one
wins), follows the compute's progress until no job runs there on its
instances, reads them again and writes the outcome as the worker would
have: the compute's state, then the end of the task. The compute remembers
how its last job on an instance ended (``last_job`` of get_instance), so a
failure ends with the compute's own message; a compute restarted
meanwhile has forgotten it, and then the state it shows decides.

Nothing is called again on the compute: the taker only reads.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_utils import uuidutils

from nova_lightsnap.api import notifications
from nova_lightsnap.api import sync
from nova_lightsnap.api import worker
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import models
from nova_lightsnap.db import tasks
from nova_lightsnap import exception

LOG = logging.getLogger(__name__)

# The state a snapshot (or a set) shows while each operation runs. The
# short tasks ('sync', 'update') are held by the request that waits for
# them and are left to the claim's task_stale_after.
SNAPSHOT_OPS = {'create': models.CREATING, 'delete': models.DELETING,
                'revert': models.REVERTING, 'export': models.EXPORTING}
SET_OPS = {'set-create': models.CREATING, 'set-restore': models.RESTORING,
           'set-delete': models.DELETING}
TAKEN_OVER = frozenset(SNAPSHOT_OPS) | frozenset(SET_OPS) | {'commit-all'}


def stopped_message(op):
    return ('lightsnap-api stopped while the %s ran and the compute no '
            'longer knows how it ended; what the compute has now is shown. '
            'Check it and retry the %s if it is still needed' % (op, op))


def silent_after(svc):
    """Seconds without a heartbeat after which a task's worker is taken
    for dead: a few progress intervals, each of which may wait a short
    timeout for the compute's answer before it writes the heartbeat; never
    under 30 s, so that a live worker on a machine under heavy load is not
    taken for dead (both would then write the outcome)."""
    api = svc.conf.api
    return max(30.0, 5 * api.progress_interval + 2 * svc.short_timeout)


class Takeover(object):
    """The running ``task`` on the instance ``uuid``, left by a worker
    that stopped beating: :meth:`run` takes it over (or not, when another
    process did or its worker is alive) and ends it."""

    def __init__(self, svc, uuid, task):
        self.svc = svc
        self.uuid = uuid
        self.task = task
        self.row = db_api.instance_get(uuid)
        self.host = self.row.host
        self.rpc_ctxt = {'request_id': 'req-' + uuidutils.generate_uuid(),
                         'project_id': self.row.project_id,
                         'user_id': None, 'roles': []}
        self.snapset = None
        self.targets = []  # the snapshots the operation is about
        self.uuids = [uuid]
        self._stop = threading.Event()

    def _find_targets(self):
        if self.task in SET_OPS:
            # The members were claimed together: the set in the
            # operation's state that has a snapshot of this instance.
            for snap in db_api.snapshot_list(self.uuid):
                if snap.set_id is None:
                    continue
                snapset = db_api.snapshot_set_get(snap.set_id)
                if snapset.state == SET_OPS[self.task]:
                    self.snapset = snapset
                    self.uuids = sorted({
                        s.instance_uuid for s in
                        db_api.snapshot_list(set_id=snapset.id)})
                    return
        elif self.task in SNAPSHOT_OPS:
            self.targets = [s.name for s in db_api.snapshot_list(self.uuid)
                            if s.state == SNAPSHOT_OPS[self.task]]

    def run(self):
        """Take the task over and end it; whether it was ended here."""
        if self.task not in TAKEN_OVER or not self.host:
            return False
        self._find_targets()
        if not tasks.take_over(self.uuids, self.task,
                               silent_after(self.svc)):
            return False  # another process was first, or the worker lives
        LOG.warning('%s on %s: its lightsnap-api worker stopped; this '
                    'process follows it on %s', self.task, self.uuids,
                    self.host)
        notices = self._notices()
        try:
            if not self._follow():
                return False
            fetched = self._fetch()
            if fetched is None:
                return False
            error = self._end(fetched)
        except Exception:
            # Left running with the heartbeat written last: taken over
            # again once it is old.
            LOG.exception('taking over %s on %s failed', self.task,
                          self.uuids)
            return False
        for notice in notices:
            if error is None:
                notice.end()
            else:
                notice.error(error)
        return True

    def _notices(self):
        """The notifications of the operation's end, which its worker
        would have sent."""
        svc, ctxt, host = self.svc, self.rpc_ctxt, self.host
        if self.snapset is not None:
            notices = [notifications.snapshot_set(
                svc, ctxt, self.task.split('-', 1)[1], self.snapset.id,
                host)]
        elif self.task == 'commit-all':
            notices = [notifications.instance(svc, ctxt, 'commit_all',
                                              self.uuid, host)]
        else:
            notices = [notifications.snapshot(svc, ctxt, self.task,
                                              self.uuid, name, host)
                       for name in self.targets]
        for notice in notices:
            notice.resume()
        return notices

    def stop(self):
        self._stop.set()

    def _follow(self):
        """Renew the heartbeat while the compute runs a job on one of the
        instances; whether it ended (False: the compute did not answer or
        this process stops, the task is left to a later take-over)."""
        interval = self.svc.conf.api.progress_interval
        while True:
            percent = None
            running = False
            for uuid in self.uuids:
                try:
                    job = self.svc.progress_client.progress(
                        self.rpc_ctxt, self.host, uuid)
                except (messaging.MessagingException,
                        exception.EngineError) as exc:
                    LOG.warning('%s on %s: no progress from %s (%s); '
                                'tried again later', self.task, uuid,
                                self.host, exc)
                    return False
                if job:
                    running = True
                    if percent is None:
                        percent = worker.job_percent(job)
            if not running:
                return True
            tasks.heartbeat(self.uuids, percent)
            for name in self.targets:
                db_api.snapshot_update(self.uuid, name, progress=percent)
            if self._stop.wait(interval):
                return False

    def _fetch(self):
        """{uuid: the compute's instance}; None when the compute did not
        answer (tried again later). An instance gone from the compute
        keeps its record, as after any operation."""
        fetched = {}
        for uuid in self.uuids:
            try:
                fetched[uuid] = self.svc.client.get_instance(
                    self.rpc_ctxt, self.host, uuid)
            except exception.EngineNotFound as exc:
                LOG.warning('instance %s not read again: %s', uuid, exc)
            except (messaging.MessagingException,
                    exception.EngineError) as exc:
                LOG.warning('%s on %s: instance not read from %s (%s); '
                            'tried again later', self.task, uuid,
                            self.host, exc)
                return None
        return fetched

    def _ended(self, fetched):
        """How the compute says the operation ended: (known, error)."""
        names = set(self.targets)
        if self.snapset is not None:
            names.add(self.snapset.name)
        for data in fetched.values():
            last = data.get('last_job')
            if last and last.get('op') == self.task and (
                    not names or last.get('name') in names):
                return True, last.get('error')
        return False, None

    def _end(self, fetched):
        known, error = self._ended(fetched)
        if error is not None and self._gone(fetched):
            # As the worker's compute.unless_missing: a delete of what the
            # compute does not have succeeds.
            error = None
        ctx = db_api.RequestContext()
        with db_api.writer(ctx):
            if known and error is not None:
                # As the worker's fail(): the compute's message, the
                # records as they were.
                self._fail(error, ctx)
            else:
                for uuid, data in fetched.items():
                    sync.apply_instance(uuid, data, context=ctx)
                error = self._outcome(fetched, known, ctx)
            tasks.finish(self.uuids, error, context=ctx)
        LOG.warning('%s on %s ended (taken over): %s', self.task,
                    self.uuids, error or 'done')
        return error

    def _fail(self, message, ctx):
        for name in self.targets:
            db_api.snapshot_update(self.uuid, name, context=ctx,
                                   state=models.ERROR, error=message)
        if self.snapset is not None:
            db_api.snapshot_set_update(self.snapset.id, context=ctx,
                                       state=models.ERROR, error=message)
            if self.task == 'set-create':
                for snap in db_api.snapshot_list(set_id=self.snapset.id,
                                                 context=ctx):
                    if snap.state == models.CREATING:
                        db_api.snapshot_update(
                            snap.instance_uuid, snap.name, context=ctx,
                            state=models.ERROR, error=message)

    def _gone(self, fetched):
        if self.task == 'delete':
            return not any(self._has(fetched, self.uuid, n)
                           for n in self.targets)
        if self.task == 'set-delete' and self.snapset is not None:
            return not any(self._has(fetched, u, self.snapset.name)
                           for u in self.uuids)
        return False

    def _has(self, fetched, uuid, name):
        return any(s['name'] == name
                   for s in fetched.get(uuid, {}).get('snapshots') or ())

    def _outcome(self, fetched, known, ctx):
        """After the compute's state is written: the operation's own
        records; the task's error (None: it succeeded)."""
        stopped = stopped_message(self.task)
        if self.task == 'create':
            missing = [n for n in self.targets
                       if not self._has(fetched, self.uuid, n)]
            for name in missing:
                db_api.snapshot_update(self.uuid, name, context=ctx,
                                       state=models.ERROR, error=stopped)
            return stopped if missing else None
        if self.task == 'delete':
            left = [n for n in self.targets
                    if self._has(fetched, self.uuid, n)]
            return stopped if left and not known else None
        if self.snapset is None:
            # revert, export, commit-all: the compute's state is written;
            # only the compute's own word says that it succeeded.
            return None if known else stopped
        return self._set_outcome(fetched, known, stopped, ctx)

    def _set_outcome(self, fetched, known, stopped, ctx):
        snapset = self.snapset
        present = [u for u in self.uuids
                   if self._has(fetched, u, snapset.name)]
        if self.task == 'set-delete' and not present:
            for snap in db_api.snapshot_list(set_id=snapset.id,
                                             context=ctx):
                db_api.snapshot_delete(snap.instance_uuid, snap.name,
                                       context=ctx)
            db_api.snapshot_set_delete(snapset.id, context=ctx)
            return None
        if self.task == 'set-create' and len(present) == len(self.uuids):
            ok = True
        else:
            ok = known and self.task != 'set-delete'
        if ok:
            db_api.snapshot_set_update(snapset.id, context=ctx,
                                       state=models.AVAILABLE, error=None)
            return None
        db_api.snapshot_set_update(snapset.id, context=ctx,
                                   state=models.ERROR, error=stopped)
        return stopped


class Reaper(object):
    """A thread of one API process that takes over the long operations
    whose worker stopped beating (see the module's doc)."""

    def __init__(self, svc):
        self.svc = svc
        self._stop = threading.Event()
        self._thread = None
        self._running = {}  # uuid -> Takeover

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name='lightsnap-reaper')
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        for takeover in list(self._running.values()):
            takeover.stop()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self):
        interval = silent_after(self.svc) / 2
        while not self._stop.wait(interval):
            try:
                self.scan()
            except Exception:
                LOG.exception('looking for operations to take over failed')

    def scan(self):
        """Start a take-over of each silent long operation not followed
        here yet; the threads started."""
        started = []
        for row in tasks.silent(silent_after(self.svc)):
            if row.task not in TAKEN_OVER or row.instance_uuid in \
                    self._running:
                continue
            takeover = Takeover(self.svc, row.instance_uuid, row.task)
            self._running[row.instance_uuid] = takeover
            thread = threading.Thread(target=self._run, args=(takeover,),
                                      daemon=True, name='lightsnap-takeover')
            thread.start()
            started.append(thread)
        return started

    def _run(self, takeover):
        try:
            takeover.run()
        finally:
            self._running.pop(takeover.uuid, None)
