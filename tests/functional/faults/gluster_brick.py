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

"""The gluster brick stopped during a snapshot and during a merge.

A volume of its own (``lightsnap-faults``, made by tools/gluster-up on
127.0.0.2 with its own brick directory), so that killing its brick process
touches no other test's volume. Each gluster image touch costs 10-20 s
here (libgfapi's teardown), hence one sequence: a clear error while the
brick is down, the chain unchanged, nothing lost once it is back, and the
retry works.

Run by ``./run soak``, not the normal suite (no ``test_`` prefix): its
timing (a merge at 1 MiB/s caught while libgfapi's slow set-up runs) does
not hold on a machine busy with the suite's other worker.
"""

import os
import re
import signal
import subprocess
import time

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from tests.functional.faults import base
from tests.support import domains

VOLUME = 'lightsnap-faults'
TOP = base.TOP


def _gluster(*args):
    return subprocess.run(['gluster', '--mode=script'] + list(args),
                          capture_output=True, text=True, timeout=120)


def brick_pid():
    out = _gluster('volume', 'status', VOLUME, '--xml').stdout
    pids = [int(p) for p in re.findall(r'<pid>(\d+)</pid>', out)]
    online = re.findall(r'<status>(\d)</status>', out)
    return pids[0] if pids and online and online[0] == '1' else None


class GlusterBrickTest(base.FaultTestCase):
    disks = {'vda': 'file', 'vdb': 'gluster'}
    timeout_seconds = 900

    def setUp(self):
        brick = os.path.join(domains.TEST_DIR, 'brick-faults')
        subprocess.run([os.path.join(TOP, 'tools', 'gluster-up'), VOLUME,
                        brick], check=True, capture_output=True, timeout=300)
        self.patch(domains, 'GLUSTER_VOLUME', VOLUME)
        super().setUp()
        self.addCleanup(self.start_brick, False)

    def stop_brick(self, pid=None):
        pid = pid or brick_pid()
        self.assertIsNotNone(pid, 'the brick of %s is not online' % VOLUME)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while brick_pid() is not None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.5)

    def start_brick(self, client=True):
        deadline = time.monotonic() + 90
        while brick_pid() is None:
            # glusterd may still be tearing the dead brick down: ask again.
            out = _gluster('volume', 'start', VOLUME, 'force')
            self.assertLess(time.monotonic(), deadline,
                            out.stdout + out.stderr)
            time.sleep(3)
        if not client:
            return
        # "Back" for a client (this process keeps its libgfapi connection,
        # as a service would) once it has reconnected to the new brick.
        root = self.vm.roots['vdb']
        while True:
            try:
                self.assertTrue(images.exists(root))
                return
            except errors.LightSnapError:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.5)

    def unchanged(self):
        return ([i.ref for i in self.vm.disks()['vdb'].chain],
                self.state().snapshots, self.vm.local_files())

    def refused(self, proc, before):
        self.assertNotEqual(0, proc.returncode)
        self.assertIn('lightsnap: error:', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertTrue(self.vm.domain.isActive())
        self.assertEqual(before, self.unchanged())

    def test_brick_down_during_snapshot_and_merge(self):
        self.write_and_create('s1')
        self.verify('before the brick goes')

        self.stop_brick()
        before = self.unchanged()
        proc = self.cli('create', self.vm.name, '--name', 's2')
        self.addDetail('snapshot', base.text(proc.stderr))
        self.refused(proc, before)
        self.start_brick()
        self.create('s2')
        self.verify('after the snapshot was retried')

        # A merge that the brick's death interrupts: deleting s2 commits
        # the layer of s3 (6 MiB, 6 s at 1 MiB/s) into the one below.
        self.fill_layer('vdb', 6 * base.MiB, 55)
        self.create('s3')
        self.write('vdb', 3)
        pid = brick_pid()
        proc = self.start_cli('delete', self.vm.name, 's2', bandwidth=1)
        self.wait_job('vdb')
        self.stop_brick(pid)
        out, err = proc.communicate(timeout=600)
        self.addDetail('merge', base.text(err))
        self.assertNotEqual(0, proc.returncode, out)
        self.assertIn('lightsnap: error:', err)
        self.assertNotIn('Traceback', err)
        self.model.delete('s2')
        self.start_brick()
        proc = self.cli('create', self.vm.name, '--name', 's4')
        if proc.returncode:
            # QEMU drops a gluster disk whose flush failed (its cache may
            # be gone): it says "ejected", and only a restart of the domain
            # brings the disk back. What was flushed before is all there.
            self.assertIn('is ejected', proc.stderr)
            self.assertNotIn('Traceback', proc.stderr)
            self.vm.domain.destroy()
            self.vm.domain.create()
            proc = self.cli('create', self.vm.name, '--name', 's4')
        self.assertEqual(0, proc.returncode, proc.stderr)
        report = proc.stderr
        self.model.create('s4')
        self.addDetail('retry', base.text(report))
        self.verify('after the merge was retried')
