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

"""The engine's libvirt host, on nova-compute's own connection."""

from nova import utils

import nova.conf

from nova_lightsnap.engine import host
from nova_lightsnap.virt import nova_private

CONF = nova.conf.CONF


class NovaHost(host.Host):
    """The engine on the libvirt connection of the driver ``driver``."""

    def __init__(self, driver):
        super().__init__(state_dir=CONF.lightsnap.state_dir,
                         job_timeout=CONF.lightsnap.job_timeout,
                         job_bandwidth=CONF.lightsnap.merge_bandwidth,
                         use_events=utils.concurrency_mode_threading(),
                         event_loop=False)
        self._driver = driver

    @property
    def conn(self):
        # Nova reconnects after libvirtd restarts; always use its current
        # connection.
        return nova_private.libvirt_host_of(self._driver).get_connection()
