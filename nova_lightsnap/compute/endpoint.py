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

"""The compute side of the lightsnap RPC: the server a compute host runs
for the topic ``lightsnap``, one method per method of the compute manager
(nova_lightsnap.compute.manager)."""

import functools

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher

from nova_lightsnap.compute import rpcapi
from nova_lightsnap.engine import errors

LOG = logging.getLogger(__name__)


def _exposed(func):
    """Make ``func`` callable over RPC.

    Only methods marked so are dispatched (the server uses
    ExplicitRPCAccessPolicy): ``target`` and anything added later stay
    out of reach. Engine errors are the expected answers of a request (not
    found, busy, bad input): they travel back to the caller with their
    class and message, and the server logs them at debug level instead of
    as a failure with a traceback.
    """
    @functools.wraps(func)
    def logged(self, ctxt, **kwargs):
        LOG.debug('%s %s (request %s)', func.__name__, kwargs,
                  ctxt.get('request_id') if isinstance(ctxt, dict) else None)
        return func(self, ctxt, **kwargs)

    return messaging.expose(
        messaging.expected_exceptions(errors.LightSnapError)(logged))


class LightSnapEndpoint(object):
    """Dispatches calls of the API service to ``backend``.

    ``backend`` is the compute's ``InstanceOperations``; each method takes
    the request context first and returns what the backend returns
    (JSON-able dicts).
    """

    target = messaging.Target(version=rpcapi.VERSION)

    def __init__(self, backend):
        self._backend = backend

    @_exposed
    def get_instance(self, ctxt, uuid):
        return self._backend.get_instance(uuid)

    @_exposed
    def set_flags(self, ctxt, uuid, enable=None, store=None):
        return self._backend.set_flags(uuid, enable=enable, store=store)

    @_exposed
    def create_snapshot(self, ctxt, uuid, name=None, quiesce='auto'):
        return self._backend.create_snapshot(uuid, name=name,
                                             quiesce=quiesce)

    @_exposed
    def delete_snapshot(self, ctxt, uuid, name, purge=False):
        return self._backend.delete_snapshot(uuid, name, purge=purge)

    @_exposed
    def revert_snapshot(self, ctxt, uuid, name):
        return self._backend.revert_snapshot(uuid, name)

    @_exposed
    def commit_all(self, ctxt, uuid):
        return self._backend.commit_all(uuid)

    @_exposed
    def export_snapshot(self, ctxt, uuid, name, file):
        return self._backend.export_snapshot(uuid, name, file)

    @_exposed
    def create_set(self, ctxt, set_name, uuids, quiesce='auto'):
        return self._backend.create_set(set_name, uuids, quiesce=quiesce)

    @_exposed
    def restore_set(self, ctxt, set_name, uuids):
        return self._backend.restore_set(set_name, uuids)

    @_exposed
    def delete_set(self, ctxt, set_name, uuids):
        return self._backend.delete_set(set_name, uuids)

    @_exposed
    def progress(self, ctxt, uuid):
        return self._backend.progress(uuid)


# What a compute answers to; the client has one method for each.
METHODS = frozenset(
    name for name, value in vars(LightSnapEndpoint).items()
    if getattr(value, 'exposed', False))


def get_server(transport, host, backend):
    """An RPC server (not started) for ``host`` dispatching to ``backend``.

    ``host`` is the name the API service addresses this compute by (Nova's
    ``CONF.host`` inside nova-compute). Threading executor: a long call
    (a merge that runs for minutes) holds one thread of the pool while
    ``progress`` and calls for other instances are still served. Call
    ``start()`` to serve, ``stop()`` then ``wait()`` to end.
    """
    if not isinstance(host, str) or not host:
        raise errors.InvalidInput(
            'the RPC server needs the host name of this compute, got %r'
            % (host,))
    target = messaging.Target(topic=rpcapi.TOPIC, server=host,
                              exchange=rpcapi.EXCHANGE)
    return messaging.get_rpc_server(
        transport, target, [LightSnapEndpoint(backend)],
        executor='threading',
        access_policy=dispatcher.ExplicitRPCAccessPolicy)
