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

"""Boots the tiny test guest under libvirt (TCG) and exercises its agent.

Needs root, a running libvirtd (qemu:///system) and, the first time, access
to the Debian package archive (the guest is built by tools/build-tiny-guest
into /var/lib/lightsnap-test/guest and cached there).
"""

import os
import shutil
import subprocess
import tempfile
import time
import uuid

import libvirt
from testtools import content

from tests.support import guest
from tests.support import testcase

LIBVIRT_URI = 'qemu:///system'
TEST_ROOT = '/var/lib/lightsnap-test'
GUEST_DIR = os.path.join(TEST_ROOT, 'guest')
DOMAIN_PREFIX = 'lstest-guest-'


class TinyGuestTest(testcase.TestCase):

    def setUp(self):
        super(TinyGuestTest, self).setUp()
        # ./run test starts libvirtd: no skip, a missing daemon fails.
        self.conn = libvirt.open(LIBVIRT_URI)
        self.addCleanup(self.conn.close)
        self.timings = []
        self.addCleanup(self._attach_timings)

        os.makedirs(TEST_ROOT, exist_ok=True)
        os.chmod(TEST_ROOT, 0o755)
        t = time.monotonic()
        self.kernel, self.initrd = guest.build_guest(GUEST_DIR)
        self._timing('build_guest', t)

        self.workdir = tempfile.mkdtemp(prefix='tiny-guest-', dir=TEST_ROOT)
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        os.chmod(self.workdir, 0o755)
        self.disk = os.path.join(self.workdir, 'data.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2',
                        self.disk, '64M'], check=True)
        os.chmod(self.disk, 0o666)
        self.console_log = os.path.join(self.workdir, 'console.log')

    def _timing(self, what, start):
        self.timings.append('%s: %.1fs' % (what, time.monotonic() - start))

    def _attach_timings(self):
        self.addDetail('timings', content.text_content(
            '\n'.join(self.timings)))

    def _attach_console(self):
        try:
            with open(self.console_log, 'rb') as f:
                data = f.read()
        except OSError:
            return
        self.addDetail('guest-console', content.text_content(
            data.decode('utf-8', 'replace')))

    def _destroy(self, name):
        """Destroy the domain, surviving a libvirtd restart meanwhile."""
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = libvirt.open(LIBVIRT_URI)
                try:
                    conn.lookupByName(name).destroy()
                finally:
                    conn.close()
                return
            except libvirt.libvirtError as e:
                # Already gone (transient domain) or not running: fine.
                if e.get_error_code() in (libvirt.VIR_ERR_NO_DOMAIN,
                                          libvirt.VIR_ERR_OPERATION_INVALID):
                    return
                if time.monotonic() >= deadline:
                    raise
            time.sleep(2)

    def start_guest(self):
        name = DOMAIN_PREFIX + uuid.uuid4().hex[:12]
        xml = guest.guest_domain_xml(
            name, self.kernel, self.initrd,
            [{'target': 'vda', 'type': 'file', 'path': self.disk,
              'format': 'qcow2'}],
            console_log=self.console_log)
        # Cleanups run last-in first-out: console first, then destroy,
        # then the work directory.  Registered before createXML so that a
        # domain started by a call that then failed is still destroyed.
        self.addCleanup(self._destroy, name)
        t = time.monotonic()
        dom = self.conn.createXML(xml, 0)
        self._timing('createXML', t)
        self.addCleanup(self._attach_console)
        agent = guest.GuestAgent(dom)
        agent.wait_ready(timeout=120)
        self._timing('create to agent ready', t)
        return dom, agent

    def test_agent_data_disk_and_freeze(self):
        dom, agent = self.start_guest()

        mounts = agent.sh('cat /proc/mounts')
        self.assertIn('/dev/vda /data ', mounts)

        token = uuid.uuid4().hex
        agent.sh('echo %s > /data/probe.txt && sync' % token)
        self.assertEqual(token + '\n', agent.sh('cat /data/probe.txt'))

        code, out, err = agent.exec(['/bin/sh', '-c', 'echo out; echo err >&2;'
                                     ' exit 3'])
        self.assertEqual((3, b'out\n', b'err\n'), (code, out, err))
        self.assertRaises(guest.GuestAgentError, agent.sh, 'false')

        self.assertEqual('thawed', agent.freeze_status())
        frozen = dom.fsFreeze()
        try:
            self.assertGreaterEqual(frozen, 1)
            self.assertEqual('frozen', agent.freeze_status())
        finally:
            thawed = dom.fsThaw()
        self.assertGreaterEqual(thawed, 1)
        self.assertEqual('thawed', agent.freeze_status())

        # The file system is usable again after the thaw.
        agent.sh('echo again >> /data/probe.txt && sync')
        self.assertEqual(token + '\nagain\n',
                         agent.sh('cat /data/probe.txt'))
