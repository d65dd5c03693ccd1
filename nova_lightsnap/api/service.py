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

"""What the handlers of one API process share: configuration, the source
of instances, the policy enforcer, the RPC client of the computes, and the
embedded compute when there is one."""

import math

from oslo_log import log as logging
import oslo_messaging as messaging

from nova_lightsnap.api import notifications
from nova_lightsnap.api.objects import compute
from nova_lightsnap.api import policy
from nova_lightsnap.api import servers
from nova_lightsnap.api import takeover
from nova_lightsnap.compute import rpcapi
from nova_lightsnap import rpc

LOG = logging.getLogger(__name__)

# A compute busy with builds (its conductor too) answers a first read in
# seconds, under load more than a progress poll's few; one that has not
# answered in this long is taken for down (compute.SilentHosts).
FIRST_SIGHT_TIMEOUT = 20

EMBEDDED_URL = 'fake://'


class Service(object):

    def __init__(self, conf, source=None):
        self.conf = conf
        self.source = source or servers.get_source(conf)
        self.enforcer = policy.make_enforcer(conf)
        if conf.api.embedded_compute:
            # The in-process driver: client and server must share this one
            # transport object.
            self.transport = messaging.get_rpc_transport(
                conf, url=EMBEDDED_URL,
                allowed_remote_exmods=rpc.ALLOWED_EXMODS)
        else:
            self.transport = rpc.get_transport(conf)
        self.client = rpcapi.ComputeClient(
            self.transport, timeout=conf.api.rpc_timeout)
        # Progress polls must not hold the poller longer than a few
        # intervals when the compute is slow or gone.
        self.short_timeout = max(1, min(
            conf.api.rpc_timeout, math.ceil(conf.api.progress_interval * 3)))
        self.progress_client = rpcapi.ComputeClient(
            self.transport, timeout=self.short_timeout)
        # The first read of an instance makes its record: a read that
        # times out would list an opted-in instance as not enabled.
        self.first_sight_timeout = max(self.short_timeout, min(
            conf.api.rpc_timeout, FIRST_SIGHT_TIMEOUT))
        self.silent_hosts = compute.SilentHosts(conf.api.rpc_timeout)
        self.notifier = notifications.make_notifier(conf)
        self._server = None
        self._reaper = None

    def start(self):
        # In every process that serves requests (each WSGI worker): the
        # long operations of a process that died are taken over.
        self._reaper = takeover.Reaper(self).start()
        if not self.conf.api.embedded_compute:
            return
        from nova_lightsnap.compute import endpoint
        from nova_lightsnap.compute import manager
        api = self.conf.api
        backend = manager.local(uri=api.libvirt_uri, state_dir=api.state_dir,
                                export_dir=api.export_dir,
                                job_timeout=api.job_timeout,
                                job_bandwidth=api.merge_bandwidth)
        self._server = endpoint.get_server(self.transport,
                                           api.compute_host, backend)
        self._server.start()
        LOG.info('embedded compute serving %s as host %s',
                 api.libvirt_uri, api.compute_host)

    def stop(self):
        if self._reaper is not None:
            self._reaper.stop()
            self._reaper = None
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self.notifier is not None:
            self.notifier.close()

    def rpc_context(self, ctx):
        """The plain dict the RPC carries (contract: request_id,
        project_id, user_id, roles)."""
        return {'request_id': ctx.request_id, 'project_id': ctx.project_id,
                'user_id': ctx.user_id, 'roles': list(ctx.roles or [])}
