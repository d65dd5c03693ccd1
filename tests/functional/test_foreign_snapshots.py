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

"""External snapshots made with libvirt beside light snapshots (what
``virsh snapshot-create-as --disk-only`` does), on real libvirt: refused
with what to run, or adopted; never damaged. Data verified throughout."""

import os
import time

import libvirt

from nova_lightsnap.engine import errors
from tests.functional import base

SNAPSHOT_XML = """<domainsnapshot><name>%(name)s</name>
<disks><disk name='vda' snapshot='external'>
<source file='%(path)s'/></disk></disks></domainsnapshot>"""


class ForeignSnapshotsTest(base.EngineTestCase):
    disks = {'vda': 'file'}

    def setUp(self):
        super().setUp()
        self.made_outside = set()

    def virsh_snapshot(self, name, metadata=True):
        """An external disk-only snapshot taken by libvirt, as
        ``virsh snapshot-create-as --disk-only [--no-metadata]``."""
        path = os.path.join(self.vm.dir, name + '.qcow2')
        below = self.vm.disks()['vda'].active.ref.path
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
        if not metadata:
            flags |= libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA
        self.vm.domain.snapshotCreateXML(
            SNAPSHOT_XML % {'name': name, 'path': path}, flags)
        # Neither is the engine's to keep or remove.
        self.made_outside.update((path, below))
        self.assertEqual(path, self.vm.disks()['vda'].active.ref.path)
        return path

    def unchanged(self, active):
        """Nothing moved: the disk is where it was, the data too."""
        self.assertEqual(active, self.vm.disks()['vda'].active.ref.path)
        self.vm.flush()
        self.assertEqual([], self.vm.mismatches(
            self.vm.disks()['vda'].active.ref, self.model.current['vda'],
            base.REGIONS))

    def test_libvirt_snapshots_are_refused_until_libvirt_forgets_them(self):
        self.write_all()
        overlay = self.virsh_snapshot('virsh1')
        self.write_all()
        err = self.assertRaises(errors.InvalidState, self.dom().create,
                                's1', 'off')
        message = str(err)
        self.assertIn('virsh1: external', message)
        self.assertIn('virsh snapshot-delete %s virsh1' % self.vm.name,
                      message)
        self.assertIn('--metadata', message)
        self.assertIn('Nothing was changed', message)
        # Nothing adopted, nothing written.
        self.assertIsNone(self.host.registry.find_domain(self.vm.name))
        self.assertEqual([], [f for f in self.vm.local_files()
                              if f.endswith('.json')])
        self.assertRaises(errors.InvalidState, self.dom().set_flags,
                          enabled=True)
        self.unchanged(overlay)

        # As the message says: libvirt forgets it, its image stays in the
        # chain, and light snapshots build on it.
        self.vm.domain.snapshotLookupByName('virsh1').delete(
            libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
        self.write_and_create('s1', 's2', 's3')
        self.verify('after three creates on the adopted chain')
        self.delete('s1')
        self.verify('after deleting the oldest')
        self.revert('s2')
        self.verify('after revert')
        self.commit_all()
        self.verify('after commit-all')
        self.assertEqual(overlay, self.vm.disks()['vda'].active.ref.path)

    def test_a_snapshot_taken_before_the_first_light_one_is_adopted(self):
        self.assertTrue(self.dom().set_flags(enabled=True).enabled)
        self.write_all()
        self.virsh_snapshot('outside', metadata=False)
        self.write_and_create('s1', 's2')
        self.verify('after creates on the image taken outside')
        self.delete('s1')
        self.verify('after deleting the oldest')

    def test_a_snapshot_taken_on_top_is_refused_until_merged_back(self):
        self.write_and_create('s1')
        active = self.vm.disks()['vda'].active.ref.path
        overlay = self.virsh_snapshot('outside', metadata=False)
        self.write_all()
        err = self.assertRaises(errors.ChainMismatch, self.dom().create,
                                's2', 'off')
        self.assertIn('virsh blockcommit %s vda --active --shallow --pivot'
                      % self.vm.name, str(err))
        self.assertEqual(['s1'], [s['name'] for s in self.snapshot_list()])
        self.unchanged(overlay)

        # As the message says: merged back, the light snapshots go on
        # and what was written meanwhile is kept.
        dom = self.vm.domain
        dom.blockCommit('vda', None, None, 0,
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                        libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW)
        self._pivot(dom)
        self.assertEqual(active, self.vm.disks()['vda'].active.ref.path)
        os.unlink(overlay)
        self.made_outside.discard(overlay)
        self.create('s2')
        self.write_all()
        self.verify('after merging back and creating s2')
        self.delete('s1')
        self.verify('after deleting s1')

    def _pivot(self, dom, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = dom.blockJobInfo('vda', 0)
            if info and info['end'] and info['cur'] == info['end']:
                try:
                    dom.blockJobAbort(
                        'vda', libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                    return
                except libvirt.libvirtError:
                    pass  # not ready yet
            time.sleep(0.1)
        self.fail('the commit of vda did not become ready')


class ShutOffForeignSnapshotsTest(ForeignSnapshotsTest):
    running = False

    def test_a_snapshot_taken_on_top_is_refused_until_merged_back(self):
        self.write_and_create('s1')
        self.virsh_snapshot('outside', metadata=False)
        err = self.assertRaises(errors.ChainMismatch, self.dom().create,
                                's2', 'off')
        self.assertIn('qemu-img commit', str(err))
        self.assertIn('virsh edit %s' % self.vm.name, str(err))
        self.assertEqual(['s1'], [s['name'] for s in self.snapshot_list()])
