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

"""A gluster volume attached by our volume driver with libgfapi, on real
libvirt, QEMU and glusterd (issue 15).

The volume's image is root's, as Cinder leaves it. The volume driver gives
it libvirt's owner through our own libgfapi connection and tells libvirt to
leave that owner alone; an assisted snapshot does the same with Cinder's
new file. libvirt keeps its word: the domain runs on both files, and they
are still QEMU's after the domain stops (libvirt 9.0 gives an image it
labelled back to root then). The control case shows that the owner is
ours to give: told the same without our chown, libvirt leaves root's
image alone and QEMU cannot open it. What the guest wrote reads back
throughout.
"""

import os
import tempfile
import uuid

import fixtures
import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import images
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.gluster import gfapi
from tests.support import domains
from tests.support import testcase

REGIONS = 4


class GlusterVolumeOwnerTest(testcase.TestCase):
    timeout_seconds = 600

    def start(self, running=True):
        self.volume_id = str(uuid.uuid4())
        self.vm = self.useFixture(domains.TestDomain(
            {'vda': 'file', 'vdb': 'volume'}, running=running,
            serials={'vdb': self.volume_id}))
        self.root = self.vm.roots['vdb']
        self.qemu = chain.dac_base_owner(self.vm.conn.getCapabilities(),
                                         'qemu')
        self.assertIsNotNone(self.qemu)

    def cinder_file(self, name, backing):
        """Cinder's new file for a snapshot: root's, backed by ``backing``
        (a relative name)."""
        local = os.path.join(tempfile.mkdtemp(dir=self.vm.dir), name)
        domains.qemu_img('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b',
                         backing, '-u', local, domains.DISK_SIZE)
        domains.gluster_volume().copy_in(
            local, '/' + self.root.sibling(name).path, mode=0o660, uid=0,
            gid=0, pad_to=gfapi.QEMU_GLUSTER_ALIGN)
        return self.root.sibling(name)

    def test_owner_given_and_kept_by_libvirt(self):
        self.start()
        self.assertEqual(self.qemu, domains.gluster_owner(self.root))
        self.vm.write('vdb', 1, 0x51)
        new = self.cinder_file(self.root.basename + '.snap-1',
                               self.root.basename)
        self.assertEqual((0, 0), domains.gluster_owner(new))
        volume_snapshots.VolumeSnapshots(self.vm.conn).create(
            self.vm.domain, self.volume_id, new.basename)
        self.assertEqual(new, self.vm.disks()['vdb'].active.ref)
        self.assertEqual(self.qemu, domains.gluster_owner(new))
        self.vm.write('vdb', 2, 0x52)

        self.vm.domain.destroy()
        # libvirt 9.0 gives the images it labelled back to root here.
        self.assertEqual([self.qemu, self.qemu],
                         [domains.gluster_owner(self.root),
                          domains.gluster_owner(new)])
        self.assertEqual([], self.vm.mismatches(new, {1: 0x51, 2: 0x52},
                                                REGIONS))
        self.assertEqual([], self.vm.mismatches(self.root, {1: 0x51},
                                                REGIONS))

        # The definition still says so; QEMU opens both files again.
        self.vm.domain.create()
        self.assertEqual(new, self.vm.disks()['vdb'].active.ref)
        self.vm.write('vdb', 3, 0x53)
        self.vm.flush()
        self.assertEqual([], self.vm.mismatches(
            new, {1: 0x51, 2: 0x52, 3: 0x53}, REGIONS))

    def test_control_relabel_no_without_our_owner(self):
        # The source says relabel='no' but the image stays root's.
        self.useFixture(fixtures.MockPatchObject(images, 'give_owner',
                                                 return_value=True))
        self.start(running=False)
        self.assertIn("<seclabel model='dac' relabel='no'/>",
                      self.vm.disk_xml['vdb'].replace('"', "'"))
        ex = self.assertRaises(libvirt.libvirtError, self.vm.domain.create)
        self.assertIn('Permission denied', str(ex))
        self.assertEqual((0, 0), domains.gluster_owner(self.root))
