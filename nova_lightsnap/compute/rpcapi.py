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

"""The client side of the lightsnap RPC: the API service calls one
compute host (as Nova's nova.compute.rpcapi).

oslo.messaging on Nova's own transport (nova_lightsnap.rpc): each compute
serves the topic ``lightsnap`` with ``server`` = its host name
(nova_lightsnap.compute.endpoint, started by the driver's ``init_host``);
the API service calls one host at a time through :class:`ComputeClient`.
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_lightsnap.engine import errors

LOG = logging.getLogger(__name__)

TOPIC = 'lightsnap'
VERSION = '1.0'
# Nova's nova-compute sets control_exchange 'nova', while a service with
# its own configuration defaults to 'openstack': naming the exchange here
# makes both sides meet whatever their control_exchange is.
EXCHANGE = 'lightsnap'

_REMOTE_SUFFIX = '_Remote'


def _as_local(exc):
    """``exc`` as its own engine class with its own message.

    oslo.messaging rebuilds a remote exception as a subclass named
    ``<Class>_Remote`` whose ``str()`` carries the compute's traceback;
    callers show ``str(exc)`` to users, so they get the class and message
    the engine raised (the traceback is logged at debug level).
    """
    cls = type(exc)
    if cls.__name__.endswith(_REMOTE_SUFFIX):
        cls = cls.__mro__[1]
    try:
        return cls(*exc.args)
    except TypeError:
        return exc


class ComputeClient(object):
    """Calls the lightsnap RPC server of a compute host.

    Every method takes the request context (a plain dict: request_id,
    project_id, user_id, roles) and the compute's host name first, and
    returns what the compute's backend returns. Engine errors are raised
    as their own classes (``nova_lightsnap.exception.EngineError`` and
    below); a compute that does not answer within the timeout raises
    ``oslo_messaging.MessagingTimeout``, after which the operation may
    still run there (poll ``progress`` or ``get_instance``).

    ``timeout`` is the default for every call; the long operations also
    take a ``timeout=`` of their own. With ``monitor_timeout`` the long
    operations ask the compute for a heartbeat every
    ``monitor_timeout / 2`` seconds while they run, so that a compute that
    went away is noticed after ``monitor_timeout`` seconds instead of at
    the end of a long ``timeout``.
    """

    def __init__(self, transport, timeout=60, monitor_timeout=None):
        target = messaging.Target(topic=TOPIC, exchange=EXCHANGE,
                                  version=VERSION)
        self._client = messaging.get_rpc_client(transport, target)
        self.timeout = timeout
        self.monitor_timeout = monitor_timeout

    def _call(self, ctxt, host, method, timeout=None, long=False, **kwargs):
        if not isinstance(host, str) or not host:
            raise errors.InvalidInput(
                'no compute host to call %s on (got %r): the instance has '
                'no host yet or its record is incomplete' % (method, host))
        if not isinstance(ctxt, dict):
            raise TypeError('the request context must be a dict, not %s'
                            % type(ctxt).__name__)
        options = {'server': host,
                   'timeout': self.timeout if timeout is None else timeout}
        if long and self.monitor_timeout:
            options['call_monitor_timeout'] = self.monitor_timeout
        cctxt = self._client.prepare(**options)
        try:
            return cctxt.call(ctxt, method, **kwargs)
        except errors.LightSnapError as exc:
            LOG.debug('%s on %s failed: %s', method, host, exc)
            raise _as_local(exc) from None

    def get_instance(self, ctxt, host, uuid, timeout=None):
        return self._call(ctxt, host, 'get_instance', timeout, uuid=uuid)

    def set_flags(self, ctxt, host, uuid, enable=None, store=None):
        return self._call(ctxt, host, 'set_flags', uuid=uuid,
                          enable=enable, store=store)

    def create_snapshot(self, ctxt, host, uuid, name=None, quiesce='auto',
                        timeout=None):
        return self._call(ctxt, host, 'create_snapshot', timeout, True,
                          uuid=uuid, name=name, quiesce=quiesce)

    def delete_snapshot(self, ctxt, host, uuid, name, purge=False,
                        timeout=None):
        """``purge``: delete for good, also a stored snapshot."""
        return self._call(ctxt, host, 'delete_snapshot', timeout, True,
                          uuid=uuid, name=name, purge=purge)

    def revert_snapshot(self, ctxt, host, uuid, name, timeout=None):
        return self._call(ctxt, host, 'revert_snapshot', timeout, True,
                          uuid=uuid, name=name)

    def commit_all(self, ctxt, host, uuid, timeout=None):
        return self._call(ctxt, host, 'commit_all', timeout, True,
                          uuid=uuid)

    def export_snapshot(self, ctxt, host, uuid, name, file, timeout=None):
        return self._call(ctxt, host, 'export_snapshot', timeout, True,
                          uuid=uuid, name=name, file=file)

    def create_set(self, ctxt, host, set_name, uuids, quiesce='auto',
                   timeout=None):
        return self._call(ctxt, host, 'create_set', timeout, True,
                          set_name=set_name, uuids=uuids, quiesce=quiesce)

    def restore_set(self, ctxt, host, set_name, uuids, timeout=None):
        return self._call(ctxt, host, 'restore_set', timeout, True,
                          set_name=set_name, uuids=uuids)

    def delete_set(self, ctxt, host, set_name, uuids, timeout=None):
        return self._call(ctxt, host, 'delete_set', timeout, True,
                          set_name=set_name, uuids=uuids)

    def progress(self, ctxt, host, uuid):
        return self._call(ctxt, host, 'progress', uuid=uuid)
