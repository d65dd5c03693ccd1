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

"""The engine on a real gluster volume (libgfapi network disks).

Each domain has one local file disk and one gluster disk, so every
operation is also proven to switch both kinds at once. libvirtd and
qemu-img pay libgfapi's ~10 s connection teardown on most calls that touch
a gluster image here, so each test walks every branch in one sequence
rather than one test per branch.
"""

import os

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import planner
from tests.functional import base

GLUSTER_DISKS = {'vda': 'file', 'vdb': 'gluster'}


class GlusterDomainTest(base.EngineTestCase):
    disks = GLUSTER_DISKS
    timeout_seconds = 1200

    def kinds(self, steps, target='vdb'):
        return [s.kind for s in steps if s.target == target]


class RunningGlusterDomainTest(GlusterDomainTest):
    running = True

    def test_every_branch_on_a_running_domain(self):
        self.write_all()
        self.write_and_create('s1', 's2', 's3')
        self.verify('after three creates')

        self.assertEqual([planner.COMMIT], self.kinds(self.delete('s2')))
        self.verify('after an intermediate commit')

        dest = os.path.join(self.vm.dir, 'export-vdb.qcow2')
        self.dom().export('s3', 'vdb', dest)
        self.assertEqual([], self.vm.mismatches(
            ImageRef('file', dest), self.model.snaps['s3']['vdb'],
            base.REGIONS))
        os.unlink(dest)

        self.revert('s1')
        self.assertTrue(self.vm.domain.isActive())
        self.verify('after revert to the oldest')

        self.assertEqual([planner.REMOVE], self.kinds(self.delete('s3')))
        self.verify('after removing a side branch')

        self.write('vdb', 3)
        self.create('s4')
        for region in range(4, 12):
            self.write('vdb', region)
        self.assertEqual([planner.PULL], self.kinds(self.delete('s4')))
        self.verify('after a pull into the active image')

        self.write('vdb', 12)
        self.create('s5')
        self.write('vdb', 13)
        steps = self.commit_all()
        self.assertIn(planner.COMMIT_ACTIVE, self.kinds(steps))
        self.verify('after commit-all')
        self.assert_single_images()

    def test_store_keeps_the_file_disk_and_names_the_gluster_layer(self):
        self.dom().set_flags(store=True)
        self.write_and_create('s1', 's2')
        self.assertEqual({'deleted': 's1', 'stored': True},
                         self.dom().delete('s1'))
        self.dom().delete('s2', purge=True)
        self.model.delete('s2')
        st = self.state()
        snap = st.snapshot('s1')
        # The file disk is kept in the store and leaves the live chain;
        # the gluster layer stays in it, named.
        self.assertEqual(['vda'], sorted(snap.kept))
        self.assertEqual(1, len(st.disks['vda'].layers))
        self.assertIn(snap.layers['vdb'], st.disks['vdb'].layers)
        self.verify('s1 stored')
        self.revert('s1')
        self.write_all()
        self.verify('reverted to the stored s1')
        self.dom().delete('s1', purge=True)
        self.model.delete('s1')
        self.verify('s1 purged')
        self.assertEqual([], self.store_files(self.state()))


class ShutOffGlusterDomainTest(GlusterDomainTest):
    running = False

    def test_every_branch_on_a_shut_off_domain(self):
        self.write('vdb', 0)
        self.create('s1')
        self.write('vdb', 1)
        self.create('s2')
        self.write('vdb', 2)
        self.verify('after two creates')
        self.assertEqual([planner.OFFLINE_COMMIT],
                         self.kinds(self.delete('s1')))
        self.verify('after an offline commit into the base')
        self.revert('s2')
        self.assertFalse(self.vm.domain.isActive())
        self.verify('after an offline revert')
        self.commit_all()
        self.verify('after an offline commit-all')
        self.assert_single_images()


class GlusterOnlyDomainTest(GlusterDomainTest):
    disks = {'vda': 'gluster'}
    running = True

    def test_metadata_of_a_gluster_only_domain_lives_on_the_host(self):
        self.write('vda', 0)
        self.create('s1')
        self.write('vda', 1)
        self.verify('after a create')
        state_path = self.host.registry.find_domain(self.vm.name)['state']
        self.assertTrue(state_path.startswith(
            self.host.registry.states_dir + '/'), state_path)
        self.commit_all()
        self.verify('after commit-all')
        self.assert_single_images()
