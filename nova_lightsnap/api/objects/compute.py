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


def state(svc, ctx, found):
    """(the compute's view of ``found``, None) or (None, why it did not
    answer). The short timeout of progress polls: a request must not wait
    a minute per instance for a compute that is down."""
    try:
        return svc.progress_client.get_instance(
            svc.rpc_context(ctx), found.host, found.uuid), None
    except (messaging.MessagingException,
            exception.EngineError) as exc:
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
