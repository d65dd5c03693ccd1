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

"""The engine on a gluster volume attached over FUSE, as our volume driver
attaches it with ``[lightsnap] gluster_transport = fuse`` (the way for a
QEMU without its gluster block driver): the disk is a file on the mount,
made and mounted by the driver, its XML the driver's. One local disk
beside it, so every operation switches both at once.
"""

from tests.functional import base
from tests.functional import scenarios

FUSE_DISKS = {'vda': 'file', 'vdb': 'fuse'}


class RunningFuseDomainTest(scenarios.Scenarios, base.EngineTestCase):
    disks = FUSE_DISKS
    running = True
    random_steps = 20


class ShutOffFuseDomainTest(scenarios.Scenarios, base.EngineTestCase):
    disks = FUSE_DISKS
    running = False
    random_steps = 15
