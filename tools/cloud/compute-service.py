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

"""Create nova-compute's service record before its first start.

Nova refuses to start a compute service that is new in its database while
the hypervisor already has domains ("Possible database configuration
error") and one that is not new without its node identity file. The
libvirtd of ./run cloud may hold other domains (this project's tests use
the same daemon), none of them Nova's: so the record is created here,
as nova-compute itself would create it, if it is missing.
Usage: compute-service.py NOVA_COMPUTE_CONF
"""
import sys

from oslo_utils import uuidutils

from nova import config
from nova import context
from nova import exception
from nova import objects
from nova.virt import node

config.parse_args(['nova-compute', '--config-file', sys.argv[1]])
objects.register_all()
ctxt = context.get_admin_context()
host = config.CONF.host
try:
    found = objects.Service.get_by_host_and_binary(ctxt, host, 'nova-compute')
except exception.NotFound:
    found = None
if found is None:
    svc = objects.Service(ctxt, host=host, binary='nova-compute',
                          topic='compute', report_count=0)
    svc.create()
    print('created the nova-compute service record of %s' % host)
# What a first start would also write: the compute node's identity, which
# Nova requires of a service that is not new.
if node.read_local_node_uuid() is None:
    node.write_local_node_uuid(uuidutils.generate_uuid())
