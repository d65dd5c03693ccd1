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

"""The engine on real libvirt/QEMU with two local qcow2 disks."""

from nova_lightsnap.engine import planner
from tests.functional import base
from tests.functional import scenarios


class RunningFileDomainTest(scenarios.Scenarios, base.EngineTestCase):
    running = True
    random_steps = 30

    def test_delete_newest_pulls_when_the_layer_is_smaller(self):
        self.write('vda', 0)
        self.create('s1')
        self.write('vda', 1)
        self.create('s2')
        for region in range(2, 12):
            self.write('vda', region)
        steps = self.delete('s2')
        self.assertIn(planner.PULL, self.kinds(steps))
        self.verify('after pulling the small layer')

    def test_delete_newest_commits_when_the_active_image_is_smaller(self):
        self.write('vda', 0)
        self.create('s1')
        for region in range(1, 12):
            self.write('vda', region)
        self.create('s2')
        self.write('vda', 12)
        steps = self.delete('s2')
        self.assertIn(planner.COMMIT_ACTIVE, self.kinds(steps))
        self.verify('after the active commit')

    def test_a_branch_keeps_its_backing_when_its_base_is_merged_live(self):
        # After the revert, a's layer is a branch off k's layer; deleting z
        # merges k's layer into the root while the domain runs.
        self.write_and_create('z', 'k', 'a')
        self.revert('k')
        self.write_all()
        self.delete('z')
        self.verify('after merging the branch point live')
        self.revert('a')
        self.verify('back on the branch')

    def test_transient_domain_revert_comes_back_running(self):
        vm = self.useFixture(base.domains.TestDomain(persistent=False))
        host = base.host_mod.Host(base.domains.URI, state_dir=vm.state_dir)
        self.addCleanup(host.close)
        vm.write('vda', 0, 7)
        host.domain(vm.name).create('t1', 'off')
        vm.write('vda', 0, 8)
        host.domain(vm.name).revert('t1')
        self.assertTrue(vm.domain.isActive())
        self.assertEqual([], vm.mismatches(vm.disks()['vda'].active.ref,
                                           {0: 7}, 4))


class ShutOffFileDomainTest(scenarios.Scenarios, base.EngineTestCase):
    running = False
    random_steps = 20
