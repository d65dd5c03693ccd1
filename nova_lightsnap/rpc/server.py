"""The RPC server a compute host runs for the lightsnap topic."""

import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher

from nova_lightsnap import rpc
from nova_lightsnap.engine import errors
from nova_lightsnap.rpc import endpoint


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
    target = messaging.Target(topic=rpc.TOPIC, server=host,
                              exchange=rpc.EXCHANGE)
    return messaging.get_rpc_server(
        transport, target, [endpoint.LightSnapEndpoint(backend)],
        executor='threading',
        access_policy=dispatcher.ExplicitRPCAccessPolicy)
