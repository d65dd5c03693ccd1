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

"""A guest agent that hangs in the middle of a freeze, for real.

The tiny guest's qemu-guest-agent is restarted (through guest-exec) with an
fsfreeze hook that sleeps before the freeze, the way a hook that waits for
a database to flush hangs. libvirt would wait for the agent forever; the
engine bounds it, thaws once the agent answers again, and takes the
snapshot unquiesced (``auto``) or refuses it (``required``).
"""

import time
import uuid

import libvirt

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import quiesce
from nova_lightsnap.engine import volume_snapshots
from tests.functional import base
from tests.functional import test_cinder_remotefs
from tests.functional import test_quiesce
from tests.support import domains
from tests.support import guest

AGENT_TIMEOUT = 3
HOOK_SLEEP = 6  # longer than the agent timeout, shorter than the thaw tries

HOOK = '#!/bin/sh\n[ "$1" = freeze ] && sleep %d\nexit 0\n' % HOOK_SLEEP
RESTART_AGENT = (
    'port=$(ls /dev/vport*p1 | head -1); pid=$(pidof qemu-ga); '
    '(sleep 1; kill $pid; sleep 1; '
    ' qemu-ga -m virtio-serial -p $port -t /run -F/hook) '
    '</dev/null >/dev/null 2>&1 &')


def agent_with_hook(domain, hook):
    """Restarts the guest's qemu-ga with ``hook`` as its fsfreeze hook;
    the agent once the new one, and only it, answers (on a busy host the
    old one can outlive a fixed wait and vanish under the next command)."""
    agent = guest.GuestAgent(domain)
    agent.sh("cat > /hook <<'EOF'\n%sEOF\nchmod 755 /hook" % hook)
    agent.sh(RESTART_AGENT)
    deadline = time.monotonic() + 120
    last = None
    while time.monotonic() < deadline:
        time.sleep(1)
        try:
            agent.wait_ready(30)
            if '-F/hook' in agent.sh(
                    'cat /proc/$(pidof qemu-ga)/cmdline | tr "\\0" " "'):
                return agent
        except (libvirt.libvirtError, guest.GuestAgentError) as exc:
            last = exc  # the old agent going, or two of them for a moment
    raise AssertionError('qemu-ga did not come back with the hook: %s'
                         % last)


class AgentHangTest(test_quiesce.QuiesceTestCase):

    def setUp(self):
        super().setUp()
        self.patch(quiesce, 'AGENT_TIMEOUT', AGENT_TIMEOUT)
        self.vm, self.host, agent = self.start_guest()
        self.agent = agent_with_hook(self.vm.domain, HOOK)
        self.agent.sh('echo before > /data/f; sync')

    def thawed_soon(self):
        """The agent answers again, and the guest is not frozen."""
        self.agent.wait_ready(60)
        self.assertEqual('thawed', self.agent.freeze_status())
        self.agent.sh('echo after > /data/g; sync')

    def test_auto_takes_the_snapshot_unquiesced(self):
        snap = self.host.domain(self.vm.name).create('a1', 'auto')
        # Bounded by the agent timeout, not by the hook: waited for, the
        # hook would have let the freeze succeed. (How long it takes is a
        # benchmark's business: a loaded host stretches libvirt's calls.)
        self.assertFalse(snap['quiesced'])
        self.thawed_soon()
        self.assertEqual(['a1'], [s['name'] for s in
                                  self.host.domain(self.vm.name).list()])
        # The crash-consistent snapshot holds the file written before it.
        self.agent.sh('echo changed > /data/f; sync')
        self.host.domain(self.vm.name).revert('a1')
        agent = guest.GuestAgent(self.vm.domain)
        agent.wait_ready(180)
        self.assertEqual('before\n', agent.sh('cat /data/f'))

    def test_required_is_refused_and_changes_nothing(self):
        before = self.snapshot_of_everything(self.vm)
        exc = self.assertRaises(errors.QuiesceFailed,
                                self.host.domain(self.vm.name).create,
                                'r1', 'required')
        self.assertIn('could not freeze', str(exc))
        self.thawed_soon()
        self.assertEqual([], self.host.domain(self.vm.name).list())
        after = self.snapshot_of_everything(self.vm)
        self.assertEqual(before[1], after[1])
        self.assertEqual([f for f in before[0] if 'lightsnap' not in f],
                         [f for f in after[0] if 'lightsnap' not in f])


class ThawFailsAfterTheSwitchTest(test_quiesce.QuiesceTestCase):
    """libvirt reports a volume snapshot as failed when the thaw fails
    after the switch: the agent's fsfreeze hook exits 1 on thaw."""

    HOOK = '#!/bin/sh\n[ "$1" = thaw ] && exit 1\nexit 0\n'

    def test_the_switched_volume_is_reported_as_snapshotted(self):
        volume_id = str(uuid.uuid4())
        self.vm, self.host = self.start(
            os_xml=domains.guest_os_xml(), memory=256, agent_channel=True,
            serials={'vdb': volume_id})
        guest.GuestAgent(self.vm.domain).wait_ready(180)
        agent = agent_with_hook(self.vm.domain, self.HOOK)
        model = base.Model(['vdb'])
        nova = volume_snapshots.VolumeSnapshots(self.vm.conn,
                                                job_timeout=60)
        cinder = test_cinder_remotefs.FakeCinder(self.vm, 'vdb', volume_id,
                                                 nova, model)
        self.vm.write('vdb', 0, 1)
        model.write('vdb', 0, 1)
        new_file = '%s.s1' % cinder.root.basename
        cinder.create_overlay(new_file)
        # The hook really fails the thaw: libvirt reports the error.
        self.assertRaisesRegex(
            libvirt.libvirtError, 'hook',
            self.vm.domain.snapshotCreateXML,
            nova.snapshot_xml(*volume_snapshots.find_volume_disk(
                self.vm.domain.XMLDesc(0), volume_id),
                cinder.ref(new_file)),
            merge.SNAPSHOT_FLAGS | merge.QUIESCE_FLAG)
        # That one switched the disk: Cinder's overlay is now in use.
        self.assertEqual(cinder.ref(new_file),
                         self.vm.disks()['vdb'].active.ref)
        cinder.record('s1', new_file)
        self.vm.write('vdb', 1, 2)
        model.write('vdb', 1, 2)
        cinder.verify(self, 'after the first switch')

        new_file = '%s.s2' % cinder.root.basename
        cinder.create_overlay(new_file)
        result = nova.create(self.vm.domain, volume_id, new_file,
                             quiesce=True)
        # Taken while frozen, reported as taken, never retried onto itself.
        self.assertEqual((cinder.ref(new_file).url, True),
                         (result['active'], result['quiesced']))
        self.assertEqual('thawed', agent.freeze_status())
        cinder.record('s2', new_file)
        self.vm.write('vdb', 2, 3)
        model.write('vdb', 2, 3)
        cinder.verify(self, 'after the snapshot whose thaw failed')
