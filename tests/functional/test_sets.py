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

"""Snapshot sets across several real domains, data verified."""


from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import sets
from tests.support import domains
from tests.support import guest
from tests.support import testcase

REGIONS = 4


class SnapshotSetTest(testcase.TestCase):
    timeout_seconds = 600

    def setUp(self):
        super().setUp()
        self.vms = [self.useFixture(domains.TestDomain()) for _ in range(3)]
        self.host = host_mod.Host(domains.URI,
                                  state_dir=self.vms[0].state_dir)
        self.addCleanup(self.host.close)

    def names(self):
        return [vm.name for vm in self.vms]

    def write(self, pattern):
        for i, vm in enumerate(self.vms):
            for target in ('vda', 'vdb'):
                vm.write(target, i, pattern + i)

    def assert_live(self, pattern):
        for i, vm in enumerate(self.vms):
            vm.flush()
            for target, disk in vm.disks().items():
                self.assertEqual([], vm.mismatches(
                    disk.active.ref, {i: pattern + i}, REGIONS),
                    '%s %s' % (vm.name, target))

    def test_create_restore_delete(self):
        self.write(10)
        result = sets.create(self.host, 'before-upgrade', self.names(),
                             'auto')
        self.assertEqual(self.names(), [d['name'] for d in result['domains']])
        self.assertLessEqual(result['freeze_window'], result['elapsed'])
        self.write(50)
        self.assert_live(50)

        listed = sets.list_sets(self.host)
        self.assertEqual(['before-upgrade'], [s['name'] for s in listed])
        for vm in self.vms:
            snaps = self.host.domain(vm.name).list()
            self.assertEqual([('before-upgrade', 'before-upgrade')],
                             [(s['name'], s['set']) for s in snaps])

        sets.restore(self.host, 'before-upgrade')
        for vm in self.vms:
            self.assertTrue(vm.domain.isActive())
        self.assert_live(10)

        sets.delete(self.host, 'before-upgrade')
        self.assertEqual([], sets.list_sets(self.host))
        for vm in self.vms:
            self.assertEqual([], self.host.domain(vm.name).list())
            for target, disk in vm.disks().items():
                self.assertEqual(vm.roots[target], disk.active.ref)
        self.assert_live(10)

    def test_a_busy_member_refuses_the_whole_set(self):
        busy = self.host.domain(self.vms[1].name)
        with busy.state_file.locked('test'):
            self.assertRaises(errors.Busy, sets.create, self.host, 'x',
                              self.names())
        self.assertEqual([], sets.list_sets(self.host))
        for vm in self.vms:
            self.assertEqual([], self.host.domain(vm.name).list())

    def test_a_failing_member_rolls_the_others_back(self):
        self.write(20)
        # A snapshot name taken in one domain makes the set impossible.
        self.host.domain(self.vms[2].name).create('clash', 'off')
        self.assertRaises(errors.InvalidInput, sets.create, self.host,
                          'clash', self.names())
        self.assertEqual([], self.host.domain(self.vms[0].name).list())
        self.assertRaises(errors.InvalidInput, sets.create, self.host,
                          'twice', [self.vms[0].name, self.vms[0].name])
        self.assertRaises(errors.NotFound, sets.restore, self.host, 'nope')


class QuiescedSetTest(testcase.TestCase):
    timeout_seconds = 600

    def test_guests_with_agents_are_frozen_together(self):
        plain = self.useFixture(domains.TestDomain())
        vm = self.useFixture(domains.TestDomain(
            os_xml=domains.guest_os_xml(), memory=256, agent_channel=True))
        agent = guest.GuestAgent(vm.domain)
        agent.wait_ready(180)
        host = host_mod.Host(domains.URI, state_dir=plain.state_dir)
        self.addCleanup(host.close)
        agent.sh('echo set > /data/x; sync')
        result = sets.create(host, 'q', [plain.name, vm.name], 'auto')
        quiesced = {d['name']: d['quiesced'] for d in result['domains']}
        self.assertEqual({plain.name: False, vm.name: True}, quiesced)
        self.assertEqual('thawed', agent.freeze_status())
        agent.sh('echo later > /data/x; sync')
        sets.restore(host, 'q')
        agent = guest.GuestAgent(vm.domain)
        agent.wait_ready(180)
        self.assertEqual('set\n', agent.sh('cat /data/x'))
        self.assertRaises(errors.QuiesceFailed, sets.create, host, 'r',
                          [plain.name, vm.name], 'required')
        self.assertEqual(['q'], [s['name'] for s in sets.list_sets(host)])
