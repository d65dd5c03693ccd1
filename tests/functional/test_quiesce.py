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

"""Quiesce through a real qemu-guest-agent in the tiny guest."""

import json

from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from tests.support import domains
from tests.support import guest
from tests.support import testcase


class QuiesceTestCase(testcase.TestCase):
    timeout_seconds = 600

    def start(self, **kwargs):
        vm = self.useFixture(domains.TestDomain(**kwargs))
        host = host_mod.Host(domains.URI, state_dir=vm.state_dir)
        self.addCleanup(host.close)
        return vm, host

    def start_guest(self):
        vm, host = self.start(os_xml=domains.guest_os_xml(), memory=256,
                              agent_channel=True)
        agent = guest.GuestAgent(vm.domain)
        agent.wait_ready(180)
        return vm, host, agent

    def snapshot_of_everything(self, vm):
        """What must not change when an operation is refused."""
        return (vm.local_files(),
                {t: d.active.ref for t, d in vm.disks().items()})

    def spy_on_take(self, agent, fail=False):
        """Record the guest's freeze state at the moment disks switch."""
        seen = []
        original = domain.DomainSnapshots.take

        def take(handle, prepared):
            seen.append(agent.freeze_status())
            if fail:
                raise errors.LightSnapError('injected failure while frozen')
            return original(handle, prepared)

        self.patch(domain.DomainSnapshots, 'take', take)
        return seen


class GuestAgentQuiesceTest(QuiesceTestCase):

    def test_required_freezes_the_guest_and_the_data_comes_back(self):
        vm, host, agent = self.start_guest()
        agent.sh('echo one > /data/before.txt; sync')
        seen = self.spy_on_take(agent)
        snap = host.domain(vm.name).create('q1', 'required')
        self.assertEqual(['frozen'], seen)
        self.assertTrue(snap['quiesced'])
        self.assertEqual('thawed', agent.freeze_status())

        agent.sh('echo two > /data/before.txt; echo x > /data/after.txt; '
                 'sync')
        host.domain(vm.name).revert('q1')
        agent = guest.GuestAgent(vm.domain)
        agent.wait_ready(180)
        self.assertEqual('one\n', agent.sh('cat /data/before.txt'))
        self.assertEqual('no\n', agent.sh('[ -e /data/after.txt ] && echo '
                                          'yes || echo no'))
        listed = host.domain(vm.name).list()
        self.assertEqual(['q1'], [s['name'] for s in listed])
        self.assertTrue(listed[0]['quiesced'])

    def test_a_failure_while_frozen_thaws_and_changes_nothing(self):
        vm, host, agent = self.start_guest()
        before = self.snapshot_of_everything(vm)
        seen = self.spy_on_take(agent, fail=True)
        self.assertRaises(errors.LightSnapError,
                          host.domain(vm.name).create, 'q1', 'required')
        self.assertEqual(['frozen'], seen)
        self.assertEqual('thawed', agent.freeze_status())
        self.assertEqual([], host.domain(vm.name).list())
        after = self.snapshot_of_everything(vm)
        self.assertEqual(before[1], after[1])
        self.assertEqual([f for f in before[0] if 'lightsnap' not in f],
                         [f for f in after[0] if 'lightsnap' not in f])


class NoAgentQuiesceTest(QuiesceTestCase):

    def check_refused(self, vm, host):
        before = self.snapshot_of_everything(vm)
        self.assertRaises(errors.QuiesceFailed,
                          host.domain(vm.name).create, 'q1', 'required')
        self.assertEqual([], host.domain(vm.name).list())
        after = self.snapshot_of_everything(vm)
        self.assertEqual(before[1], after[1])

    def test_required_fails_without_an_agent_channel(self):
        vm, host = self.start()
        self.check_refused(vm, host)

    def test_required_fails_and_auto_falls_back_when_no_agent_answers(self):
        vm, host = self.start(agent_channel=True)
        self.check_refused(vm, host)
        snap = host.domain(vm.name).create('q2', 'auto')
        self.assertFalse(snap['quiesced'])
        self.assertEqual(['q2'], [s['name'] for s in
                                  host.domain(vm.name).list()])

    def test_unknown_mode_is_refused(self):
        vm, host = self.start()
        self.assertRaises(errors.InvalidInput,
                          host.domain(vm.name).create, 'q1', 'sometimes')
        self.assertEqual('[]', json.dumps(host.domain(vm.name).list()))
