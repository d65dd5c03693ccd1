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
are still QEMU's after the domain stops, where libvirt gives an image it
labelled back to root. The control case, a volume whose owner could not be
given, shows that difference. What the guest wrote reads back throughout.
"""

import os
import tempfile
import uuid

import fixtures

from nova_lightsnap import chain
from nova_lightsnap.engine import images
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.gluster import gfapi
from tests.support import domains
from tests.support import testcase

REGIONS = 4


class GlusterVolumeOwnerTest(testcase.TestCase):
    timeout_seconds = 600

    def start(self):
        self.volume_id = str(uuid.uuid4())
        self.vm = self.useFixture(domains.TestDomain(
            {'vda': 'file', 'vdb': 'volume'},
            serials={'vdb': self.volume_id}))
        self.root = self.vm.roots['vdb']
        self.qemu = chain.dac_image_owner(self.vm.domain.XMLDesc(0))
        self.assertIsNotNone(self.qemu)

    def owner(self, ref):
        st = domains.gluster_volume().stat('/' + ref.path)
        return st.st_uid, st.st_gid

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
        self.assertEqual(self.qemu, self.owner(self.root))
        self.vm.write('vdb', 1, 0x51)
        new = self.cinder_file(self.root.basename + '.snap-1',
                               self.root.basename)
        self.assertEqual((0, 0), self.owner(new))
        volume_snapshots.VolumeSnapshots(self.vm.conn).create(
            self.vm.domain, self.volume_id, new.basename)
        self.assertEqual(new, self.vm.disks()['vdb'].active.ref)
        self.assertEqual(self.qemu, self.owner(new))
        self.vm.write('vdb', 2, 0x52)

        self.vm.domain.destroy()
        # libvirt gives the images it labelled back to root at this point.
        self.assertEqual([self.qemu, self.qemu],
                         [self.owner(self.root), self.owner(new)])
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

    def test_control_owner_left_to_libvirt(self):
        # Our connection could not give the owner (no permission, say):
        # libvirt labels the image itself, and gives it back to root.
        self.useFixture(fixtures.MockPatchObject(images, 'give_owner',
                                                 return_value=False))
        self.start()
        self.assertEqual(self.qemu, self.owner(self.root))
        self.vm.write('vdb', 1, 0x61)
        self.vm.domain.destroy()
        self.assertEqual((0, 0), self.owner(self.root))
        self.assertEqual([], self.vm.mismatches(self.root, {1: 0x61},
                                                REGIONS))
