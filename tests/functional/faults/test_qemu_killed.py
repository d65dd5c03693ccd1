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

"""The domain's QEMU process killed (SIGKILL) during a snapshot or a merge.

Whatever QEMU managed to write stays valid: the operation fails with a
clear error or finishes, the chain is one the domain boots on, every
snapshot and the live disks hold what was written (and flushed) before the
kill, and the operation can be retried.
"""

import os
import signal
import time

from tests.functional.faults import base
from tests.functional.faults import proxy

MERGE_DATA = 4 * base.MiB


class QemuKilledTest(base.FaultTestCase):
    disks = {'vda': 'file'}

    def kill_qemu(self):
        os.kill(self.qemu_pid(), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while self.vm.domain.isActive():
            self.assertLess(time.monotonic(), deadline, 'QEMU still runs')
            time.sleep(0.1)

    def finish(self, proc):
        out, err = proc.communicate(timeout=300)
        self.assertNotIn('Traceback', err)
        return proc.returncode, err

    def boot_and_verify(self, context):
        self.vm.domain.create()
        self.verify(context)

    def kill_during_the_merge_of(self, name):
        proc = self.start_cli('delete', self.vm.name, name, bandwidth=1)
        self.wait_job('vda')
        self.kill_qemu()
        code, err = self.finish(proc)
        self.assertNotEqual(0, code)
        self.assertIn('nothing was lost', err)
        self.model.delete(name)
        # Shut off, the chain is what the metadata says; merges go offline.
        self.verify('with the domain shut off')
        self.boot_and_verify('after a restart')

    def test_killed_during_an_intermediate_commit(self):
        self.write('vda', 0)
        self.create('s1')
        self.fill_layer('vda', MERGE_DATA, 61)
        self.create('s2')
        self.write('vda', 1)
        self.kill_during_the_merge_of('s1')
        self.write('vda', 2)
        self.create('s3')
        self.delete('s2')
        self.verify('after merging again')

    def test_killed_during_an_active_commit(self):
        self.write('vda', 0)
        self.create('s1')
        self.fill_layer('vda', MERGE_DATA, 62)
        self.kill_during_the_merge_of('s1')
        self.commit_all()
        self.verify('after commit-all')
        self.assert_single_images()

    def test_killed_while_the_snapshot_is_asked_for(self):
        self.write_and_create('s1')
        trap = self.proxy.arm(proxy.SNAPSHOT_CREATE_XML, 'call')
        proc = self.start_cli('create', self.vm.name, '--name', 's2')
        self.wait_hit(trap, proc)
        self.kill_qemu()
        trap.release.set()
        code, err = self.finish(proc)
        if code == 0:
            # libvirt took the disk-only snapshot of the shut-off domain.
            self.model.create('s2')
        else:
            # libvirt failed the call while QEMU went away, maybe after it
            # had switched the disks: the next operation must settle it.
            self.assertIn('lightsnap: error:', err)
            unsettled = self.journal() is not None
            report = self.recover('create', self.vm.name, '--name', 's3')
            if "finished the create of 's2'" in report:
                self.model.create('s2')
            elif unsettled:
                self.assertIn("rolled back the create of 's2'", report)
            self.model.create('s3')
        self.addDetail('outcome', base.text('exit %d' % code))
        self.verify('after the snapshot of a dead domain')
        self.boot_and_verify('after a restart')
        self.write_and_create('s4')
        self.verify('after a new snapshot')
