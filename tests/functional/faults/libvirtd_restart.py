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

"""libvirtd really restarted while ``lightsnap`` merges.

Not collected by the normal suite (no ``test_`` prefix): restarting the
host's libvirtd would cut every other test's connection. ``./run soak``
runs it alone. The merge's block job lives on in QEMU; the restarted
libvirtd finds it again, and the next run of ``lightsnap`` must settle it
(an active commit is pivoted once ready) and say so, with every snapshot's
data intact.
"""

import os
import signal
import subprocess
import time

import libvirt

from tests.functional.faults import base
from tests.support import domains

MERGE_DATA = 8 * base.MiB  # at 1 MiB/s: a merge of about 8 s


def restart_libvirtd(timeout=60):
    """SIGTERM libvirtd, wait for it to go, start it again."""
    if domains.libvirt_socket() != domains.HOST_LIBVIRT_SOCKET:
        # A second stack's libvirtd is started by its own tool.
        raise AssertionError('restarts the host\'s libvirtd only, not the '
                             'one of %s' % domains.URI)
    pids = domains.host_pids('libvirtd')
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(os.path.exists('/proc/%d' % p) for p in pids):
        if time.monotonic() > deadline:
            raise AssertionError('libvirtd did not stop')
        time.sleep(0.2)
    subprocess.run(['libvirtd', '-d'], check=True)
    while True:
        try:
            domains.connect().close()
            return
        except libvirt.libvirtError:
            if time.monotonic() > deadline:
                raise AssertionError('libvirtd did not come back')
            time.sleep(0.2)


class LibvirtdRestartTest(base.FaultTestCase):
    disks = {'vda': 'file'}

    def reconnect(self):
        """The fixture's and the engine's connections died with libvirtd.

        The new connection stays open: the fixture removes the domain
        through it after this test's own cleanups have run.
        """
        self.vm.conn = domains.connect()
        self.host = self.make_host()

    def test_restart_during_an_active_commit(self):
        self.write_and_create('s1')
        self.fill_layer('vda', MERGE_DATA, 7)
        # Deleting s1 folds the active overlay (8 MiB) into the root.
        proc = subprocess.Popen(
            self.cli_cmd('delete', self.vm.name, 's1', bandwidth=1),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=base.TOP)
        self.addCleanup(self._reap, proc)
        self.wait_job('vda')
        restart_libvirtd()
        out, err = proc.communicate(timeout=120)
        self.assertNotEqual(0, proc.returncode, err)
        self.assertIn('lightsnap: error:', err)
        self.assertNotIn('Traceback', err)
        self.reconnect()
        self.assertEqual('merge', self.journal()['op'])

        report = self.recover('create', self.vm.name, '--name', 's2')
        self.model.delete('s1')
        self.model.create('s2')
        self.assertIn('finished the interrupted merge', report)
        self.assert_no_job()
        self.write_all()
        self.verify('after libvirtd came back')
