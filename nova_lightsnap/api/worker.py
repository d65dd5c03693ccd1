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

"""Long operations: claimed by the request, run by a background thread.

The request claims the instance's task in the database (409 when one
runs) and answers 202; a thread then makes the RPC call to the compute
while a second thread polls the compute's ``progress`` and writes the
percent to the database (and renews the task's heartbeat), so that GET
shows a live percent. When the call ends the thread reads the instances
again from the compute and writes the outcome, ``apply(result, fetched,
ctx)`` on success or ``fail(message, ctx)``, in the same transaction that
ends the task (cleared, or left in state error with the message): a
client never sees a finished resource on a still busy instance.

When the process dies before the end, another API process takes the task
over once its heartbeat is old (nova_lightsnap.api.takeover).
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_lightsnap.api import sync
from nova_lightsnap.db import api as db_api
from nova_lightsnap.db import tasks
from nova_lightsnap import exception

LOG = logging.getLogger(__name__)


def timeout_message(host, seconds):
    return ('compute host %s did not answer within %d seconds; the '
            'operation may not have run there. Retry it (once the compute '
            'service is running)' % (host, seconds))


def job_percent(job):
    """The percent of a compute's ``progress`` answer, within 0-100."""
    return max(0, min(100, int(job.get('percent', 0))))


def error_message(exc, host, timeout):
    if isinstance(exc, messaging.MessagingTimeout):
        return timeout_message(host, timeout)
    if isinstance(exc, exception.EngineError):
        return str(exc)
    if isinstance(exc, messaging.MessagingException):
        return ('compute host %s could not be reached (%s); retry the '
                'operation' % (host, exc))
    return 'internal error (%s: %s); see the log of lightsnap-api' % (
        type(exc).__name__, exc)


class Operation(object):
    """One long operation on ``uuids`` (already claimed) of ``host``.

    ``call()`` makes the RPC call and returns its result;
    ``apply(result, ctx)`` and ``fail(message, ctx)`` write the database
    in the transaction ``ctx``; ``progress(percent)``, if given, writes the
    percent where the resource shows it; ``notice``, if given (a
    :class:`nova_lightsnap.api.notifications.Action`), is told when the
    operation starts, and once its end or error is recorded.
    """

    def __init__(self, service, host, uuids, rpc_ctxt, call, apply, fail,
                 progress=None, notice=None):
        self.service = service
        self.host = host
        self.uuids = list(uuids)
        self.rpc_ctxt = rpc_ctxt
        self.call = call
        self.apply = apply
        self.fail = fail
        self.progress = progress
        self.notice = notice
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name='lightsnap-op')

    def start(self):
        self.thread.start()
        return self

    def _poll(self, rpc_ctxt):
        interval = self.service.conf.api.progress_interval
        while not self._stop.wait(interval):
            percent = None
            try:
                job = self.service.progress_client.progress(
                    rpc_ctxt, self.host, self.uuids[0])
                if job:
                    percent = job_percent(job)
            except Exception as exc:  # a slow compute: next time
                LOG.debug('progress of %s: %s', self.uuids[0], exc)
            if self._stop.is_set():
                return
            try:
                tasks.heartbeat(self.uuids, percent)
                if percent is not None and self.progress:
                    self.progress(percent)
            except Exception:
                LOG.exception('could not record the progress of %s',
                              self.uuids)

    def _fetch(self):
        """The compute's view of the instances after the operation; an
        instance it does not answer for keeps its record until the next
        operation."""
        fetched = {}
        for uuid in self.uuids:
            try:
                fetched[uuid] = self.service.client.get_instance(
                    self.rpc_ctxt, self.host, uuid)
            except (messaging.MessagingException,
                    exception.EngineError) as exc:
                LOG.warning('instance %s not read again after the '
                            'operation: %s', uuid, exc)
        return fetched

    def _run(self):
        if self.notice:
            # Here, not in the request: a slow message bus never holds an
            # HTTP worker.
            self.notice.start()
        poller = threading.Thread(target=self._poll, args=(self.rpc_ctxt,),
                                  daemon=True, name='lightsnap-progress')
        poller.start()
        error = None
        result = None
        try:
            try:
                result = self.call()
            except Exception as exc:
                error = error_message(
                    exc, self.host, self.service.conf.api.operation_timeout)
                if not isinstance(exc, (messaging.MessagingException,
                                        exception.EngineError)):
                    LOG.exception('operation on %s failed', self.uuids)
                else:
                    LOG.warning('operation on %s failed: %s', self.uuids,
                                error)
            if error is None:
                # Still beating: another process must not take the task
                # over (api/takeover.py) while the reads wait for the
                # compute.
                fetched = self._fetch()
        finally:
            self._stop.set()
            poller.join()
        if error is None:
            try:
                ctx = db_api.RequestContext()
                with db_api.writer(ctx):
                    self.apply(result, ctx)
                    for uuid, data in fetched.items():
                        sync.apply_instance(uuid, data, context=ctx)
                    tasks.finish(self.uuids, context=ctx)
                if self.notice:
                    self.notice.end()
                return
            except Exception as exc:
                LOG.exception('recording the result on %s failed',
                              self.uuids)
                error = error_message(exc, self.host, 0)
        try:
            ctx = db_api.RequestContext()
            with db_api.writer(ctx):
                self.fail(error, ctx)
                tasks.finish(self.uuids, error, context=ctx)
        except Exception:
            LOG.exception('recording the failure on %s failed', self.uuids)
            tasks.finish(self.uuids, error)
        if self.notice:
            self.notice.error(error)
