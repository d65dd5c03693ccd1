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

"""What nova-compute says at start about QEMU's gluster block driver (the
detection on a real QEMU without it: tests/functional/
test_qemu_gluster_driver.py)."""

import fixtures

from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.virt import fake
from nova.virt.libvirt import driver as libvirt_driver

from nova_lightsnap.compute import endpoint
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.virt import driver

WARNING = 'QEMU on this host has no gluster block driver'


class InitHostGlusterDriverTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.drvr = driver.LightSnapLibvirtDriver(fake.FakeVirtAPI(), False)
        # Nova's own start-up and the RPC server are not what is tested.
        self.useFixture(fixtures.MockPatchObject(
            libvirt_driver.LibvirtDriver, 'init_host'))
        self.useFixture(fixtures.MockPatchObject(endpoint, 'get_server'))
        self.available = self.useFixture(fixtures.MockPatchObject(
            qemu_gluster, 'available')).mock

    def test_said_at_start_when_libgfapi_cannot_work(self):
        self.available.return_value = False
        self.drvr.init_host('compute-a')
        output = self.stdlog.logger.output
        self.assertIn(WARNING, output)
        self.assertIn('[lightsnap] gluster_transport = fuse', output)

    def test_nothing_said_when_it_can_or_fuse_is_chosen(self):
        self.available.return_value = True
        self.drvr.init_host('compute-a')
        self.flags(gluster_transport='fuse', group='lightsnap')
        self.available.return_value = False
        self.drvr.init_host('compute-a')
        self.assertEqual(1, self.available.call_count)
        self.assertNotIn(WARNING, self.stdlog.logger.output)
