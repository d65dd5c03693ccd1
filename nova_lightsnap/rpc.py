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

"""The messaging transport of the lightsnap RPC (as Nova's nova.rpc).

The client is nova_lightsnap.compute.rpcapi, the server
nova_lightsnap.compute.endpoint.
"""

import importlib

import oslo_messaging as messaging

from nova_lightsnap import exception

# Exceptions of these modules are rebuilt as their own classes on the
# calling side; any other exception of a compute arrives as
# oslo_messaging.RemoteError (never imported by name from the wire). The
# engine's errors are members of nova_lightsnap.exception; computes of
# before that move send them under the engine's module, whose names are
# the same classes: an API upgraded first still understands them.
ALLOWED_EXMODS = [exception.__name__, 'nova_lightsnap.engine.errors']

# oslo.messaging (18.x) registers these groups on the global cfg.CONF only,
# but its RPC client and server read them from the transport's own
# configuration: a service with a ConfigOpts of its own would fail its first
# call with NoSuchOptError. (module, attribute, group); absent modules are
# versions that do not read them.
_LIBRARY_OPTS = [
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing',
     'oslo_messaging_tracing'),
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics',
     'oslo_messaging_metrics'),
]


def _register_library_opts(conf):
    for module, attribute, group in _LIBRARY_OPTS:
        try:
            opts = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            continue
        conf.register_opts(opts, group=group)


def get_transport(conf):
    """The RPC transport of ``conf``, from its ``transport_url``.

    Inside nova-compute ``conf`` is Nova's own CONF, so the computes serve
    on Nova's message bus; the API service passes its own configuration,
    whose ``transport_url`` must name the same broker and virtual host.
    """
    _register_library_opts(conf)
    return messaging.get_rpc_transport(
        conf, allowed_remote_exmods=ALLOWED_EXMODS)
