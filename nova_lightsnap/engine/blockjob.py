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

"""Waiting for libvirt block jobs and knowing how they ended.

``blockJobInfo`` returning ``{}`` only says that no job runs any more; it
cannot tell a completed commit from a failed or cancelled one. libvirt's
BLOCK_JOB_2 events can, so they are the primary signal; the caller still
checks the live XML afterwards, and after a lost event (libvirtd restarted)
that check alone decides.
"""

import collections
import logging
import threading
import time

import libvirt

LOG = logging.getLogger(__name__)

COMPLETED = 'completed'
FAILED = 'failed'
CANCELED = 'canceled'
READY = 'ready'
GONE = 'gone'  # the job vanished with no event seen

_STATUS = {
    libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED: COMPLETED,
    libvirt.VIR_DOMAIN_BLOCK_JOB_FAILED: FAILED,
    libvirt.VIR_DOMAIN_BLOCK_JOB_CANCELED: CANCELED,
    libvirt.VIR_DOMAIN_BLOCK_JOB_READY: READY,
}

ENDS = frozenset((COMPLETED, FAILED, CANCELED))
PIVOT_TIMEOUT = 60
ABORT_TIMEOUT = 30
JOB_GONE_GRACE = 2.0

_loop_lock = threading.Lock()
_loop_started = False


def start_event_loop():
    """Run libvirt's default event loop in a daemon thread (once).

    Must be called before the connection is opened for events to flow.
    """
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run():
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name='libvirt-events',
                         daemon=True).start()
        _loop_started = True


class NoEvents:
    """A connection on which JobWatcher registers no callback.

    Under eventlet, libvirt calls event callbacks from a native thread that
    must not touch green locks; the live XML then decides alone.
    """

    def domainEventRegisterAny(self, *args):
        raise libvirt.libvirtError('block job events are not used here')

    def domainEventDeregisterAny(self, *args):
        pass


class JobWatcher:
    """Collects BLOCK_JOB_2 events of one connection."""

    def __init__(self, conn):
        self._cond = threading.Condition()
        self._events = collections.defaultdict(list)
        self._callback_id = None
        try:
            self._callback_id = conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2,
                self._on_event, None)
        except libvirt.libvirtError as exc:
            # Without an event loop (or on a driver without events) the
            # XML check after the job is the only signal; still correct.
            LOG.debug('block job events unavailable: %s', exc)
        self._conn = conn

    def _on_event(self, conn, dom, disk, job_type, status, opaque):
        name = _STATUS.get(status)
        if name is None:
            return
        with self._cond:
            self._events[(dom.UUIDString(), disk)].append(name)
            self._cond.notify_all()

    def close(self):
        if self._callback_id is not None:
            try:
                self._conn.domainEventDeregisterAny(self._callback_id)
            except libvirt.libvirtError:
                pass
            self._callback_id = None

    def clear(self, dom, disk):
        """Forget old events before a new job starts on ``disk``."""
        with self._cond:
            self._events.pop((dom.UUIDString(), disk), None)

    def _pop(self, key, wanted):
        events = self._events.get(key, [])
        for i, name in enumerate(events):
            if name in wanted:
                del events[i]
                return name
        return None

    def wait(self, dom, disk, wanted, timeout, progress=None, check=None,
             poll=0.2, job_gone_grace=JOB_GONE_GRACE):
        """Wait for one of ``wanted`` events, or for the job to vanish.

        Returns the event name, ``GONE`` when the job disappeared without an
        event, or None on timeout. ``progress`` is called with a percentage;
        ``check`` may return an event name from the live XML, for events
        that were lost.
        """
        key = (dom.UUIDString(), disk)
        deadline = time.monotonic() + timeout
        gone_since = None
        last_pct = None
        while True:
            with self._cond:
                got = self._pop(key, wanted)
                if got is None:
                    self._cond.wait(poll)
                    got = self._pop(key, wanted)
            if got is None and check is not None:
                got = check()
            if got is not None:
                if progress and got in (COMPLETED, READY):
                    progress(100.0)
                return got
            try:
                info = dom.blockJobInfo(disk, 0)
            except libvirt.libvirtError as exc:
                LOG.debug('blockJobInfo(%s): %s', disk, exc)
                info = {}
            if info:
                gone_since = None
                end = info.get('end') or 0
                if progress and end:
                    pct = 100.0 * info.get('cur', 0) / end
                    if pct != last_pct:
                        progress(pct)
                        last_pct = pct
            else:
                now = time.monotonic()
                gone_since = gone_since or now
                # Events may trail the job's disappearance slightly.
                if now - gone_since >= job_gone_grace:
                    return GONE
            if time.monotonic() >= deadline:
                return None

    def wait_end(self, dom, disk, timeout, active=False, progress=None,
                 ready=None, done=None, job_gone_grace=JOB_GONE_GRACE):
        """Wait for the job on ``disk`` to end; None on timeout.

        An active commit (``active``) is pivoted once it is ready; a failed
        pivot raises libvirt's error with the job still there. ``ready`` and
        ``done`` read readiness and success from the live XML, for events
        that were lost.
        """
        if active:
            result = self.wait(dom, disk, ENDS | {READY}, timeout, progress,
                               check=ready, job_gone_grace=job_gone_grace)
            if result != READY:
                return result
            dom.blockJobAbort(disk, libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
            timeout, progress = PIVOT_TIMEOUT, None
        return self.wait(dom, disk, ENDS, timeout, progress, check=done,
                         job_gone_grace=job_gone_grace)


def cancel(dom, disk, timeout=ABORT_TIMEOUT):
    """Cancel the block job on ``disk`` and wait until libvirt drops it."""
    try:
        dom.blockJobAbort(disk, 0)
    except libvirt.libvirtError as exc:
        LOG.warning('cancelling the block job on %s failed: %s', disk,
                    exc.get_error_message())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not dom.blockJobInfo(disk, 0):
                return
        except libvirt.libvirtError:
            return
        time.sleep(0.2)
    LOG.error('the block job on %s is still there after the cancel', disk)
