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

"""Calls to a compute host that a request waits for."""

import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_lightsnap import exception

LOG = logging.getLogger(__name__)


def call(svc, host, func, *args, **kwargs):
    """``func(*args, **kwargs)``, a call of ``svc.client``; a message bus
    or compute that does not answer is the caller's 503 (the engine's own
    errors pass as they are)."""
    try:
        return func(*args, **kwargs)
    except messaging.MessagingTimeout:
        raise exception.ComputeTimeout(host=host,
                                       timeout=svc.conf.api.rpc_timeout)
    except messaging.MessagingException as exc:
        raise exception.ComputeUnreachable(host=host, reason=exc)


class SilentHosts(object):
    """The computes that let a first sight's long read time out, in this
    process: reads of their instances are not sent for ``quiet`` seconds
    after, so that a listing of many instances on a compute that is down
    answers from the database at once instead of waiting for each."""

    def __init__(self, quiet):
        self.quiet = quiet
        self._lock = threading.Lock()
        self._since = {}

    def timed_out(self, host):
        with self._lock:
            self._since[host] = time.monotonic()

    def answered(self, host):
        with self._lock:
            self._since.pop(host, None)

    def silent(self, host):
        with self._lock:
            since = self._since.get(host)
            if since is not None and time.monotonic() - since >= self.quiet:
                del self._since[host]
                since = None
            return since is not None


def state(svc, ctx, found, first=False):
    """(the compute's view of ``found``, None) or (None, why it did not
    answer). A request must not wait a minute per instance for a compute
    that is down: the short timeout of progress polls, or for the read
    that makes the record (``first``) a longer one, after which the host
    is left alone for a while (SilentHosts)."""
    if svc.silent_hosts.silent(found.host):
        return None, exception.ComputeTimeout(
            host=found.host, timeout=svc.first_sight_timeout)
    timeout = svc.first_sight_timeout if first else svc.short_timeout
    try:
        data = svc.client.get_instance(svc.rpc_context(ctx), found.host,
                                       found.uuid, timeout=timeout)
    except messaging.MessagingTimeout as exc:
        if first:
            svc.silent_hosts.timed_out(found.host)
        return _not_read(found, exc)
    except (messaging.MessagingException,
            exception.EngineError) as exc:
        return _not_read(found, exc)
    svc.silent_hosts.answered(found.host)
    return data, None


def _not_read(found, exc):
    LOG.warning('instance %s: state not read from %s (%s)', found.uuid,
                found.host, exc)
    return None, exc


def unless_missing(call, missing):
    """``call()``, or ``missing`` when the compute does not know the
    thing: a record whose creation never reached the compute, so only the
    record is left to delete."""
    try:
        return call()
    except exception.EngineNotFound:
        return missing
