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

"""Running ``lightsnap`` as a process and striking it at exact points."""

import os
import signal
import subprocess
import sys
import time

from testtools import content

from nova_lightsnap.engine import journal as journal_mod
from tests.functional import base
from tests.functional.faults import proxy
from tests.support import domains

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
MiB = 1024 ** 2


def text(value):
    return content.text_content(str(value))


class FaultTestCase(base.EngineTestCase):
    """A real domain, the CLI as a process, a proxy in front of libvirtd."""

    def setUp(self):
        super().setUp()
        # In the state directory: the disk directory must hold only images.
        os.makedirs(self.vm.state_dir, exist_ok=True)
        self.proxy = proxy.LibvirtProxy(
            os.path.join(self.vm.state_dir, 'libvirt-proxy.sock'))
        self.addCleanup(self.proxy.close)

    def cli_cmd(self, *args, uri=None, bandwidth=None, timeout=300):
        cmd = [sys.executable, '-m', 'nova_lightsnap.cmd.lightsnap',
               '--connect', uri or domains.URI,
               '--state-dir', self.vm.state_dir, '--timeout', str(timeout)]
        if bandwidth:
            cmd += ['--bandwidth', str(bandwidth)]
        return cmd + list(args)

    def cli(self, *args, **kwargs):
        return subprocess.run(self.cli_cmd(*args, **kwargs),
                              capture_output=True, text=True, cwd=TOP,
                              timeout=600)

    def ok(self, *args, **kwargs):
        proc = self.cli(*args, **kwargs)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc

    def start_cli(self, *args, **kwargs):
        """The CLI through the proxy, in the background."""
        proc = subprocess.Popen(self.cli_cmd(*args, uri=self.proxy.uri,
                                             **kwargs),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=TOP)
        self.addCleanup(self._reap, proc)
        return proc

    def _reap(self, proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    # Generous waits: on a loaded machine the CLI takes seconds to start.
    def wait_hit(self, trap, proc, timeout=180):
        if not trap.hit.wait(timeout):
            proc.kill()
            out, err = proc.communicate()
            self.fail('the fault point was never reached (calls %s, %s): %s'
                      % (self.proxy.calls, self.proxy.errors, err))

    def kill_at(self, proc_number, when, *args, nth=1):
        """Run the CLI and SIGKILL it once the trap has struck."""
        trap = self.proxy.arm(proc_number, when, nth)
        proc = self.start_cli(*args)
        self.wait_hit(trap, proc)
        self.kill(proc)

    def kill(self, proc):
        """SIGKILL: no handler, no finally, no atexit runs."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        self.assertEqual(-signal.SIGKILL, proc.returncode)
        self.proxy.cut()

    def journal(self):
        """The journal as the metadata file holds it."""
        return journal_mod.to_dict(self.state().journal)

    def recover(self, *args):
        """The next run: any operation finds the journal first."""
        proc = self.ok(*args)
        return proc.stderr

    def qemu_pid(self):
        return domains.qemu_pid(self.vm.name)

    def wait_job(self, target, timeout=180):
        """Until ``virsh blockjob`` would show a job that has moved."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.vm.domain.blockJobInfo(target, 0)
            if info and info.get('cur', 0) > 0:
                return info
            time.sleep(0.1)
        self.fail('no block job showed up on %s' % target)

    def assert_no_job(self):
        for target in self.disks:
            self.assertEqual({}, self.vm.domain.blockJobInfo(target, 0),
                             target)
