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

"""A host whose QEMU has no gluster block driver, made real: the command
runs in a mount namespace of its own where QEMU's module directory is an
empty file system, so qemu-img finds no ``block-gluster`` module, as on a
host without qemu-block-extra or with a QEMU built without gluster. The
feature is detected there, and every operation on a gluster disk is
refused with what to do, before anything changes.
"""

import hashlib
import os
import subprocess
import sys

from tests.support import domains
from tests.support import testcase

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Where the QEMU that runs the engine's qemu-img loads its block modules
# from (tools/libvirt-next names its root's).
MODULE_DIR = os.environ.get('LIGHTSNAP_QEMU_MODULE_DIR',
                            '/usr/lib/x86_64-linux-gnu/qemu')
HIDE_MODULES = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount -t tmpfs lightsnap-no-modules "$0" && exec "$@"',
                MODULE_DIR]


class WithoutQemuGlusterDriverTest(testcase.TestCase):
    timeout_seconds = 900

    def setUp(self):
        super().setUp()
        if not os.path.isdir(MODULE_DIR):
            self.fail('no QEMU module directory %s; set '
                      'LIGHTSNAP_QEMU_MODULE_DIR' % MODULE_DIR)
        self.vm = self.useFixture(domains.TestDomain(
            {'vda': 'file', 'vdb': 'gluster'}, running=False))

    def command(self, args, driver=True):
        cmd = [sys.executable] + list(args)
        return subprocess.run(cmd if driver else HIDE_MODULES + cmd,
                              capture_output=True, text=True, cwd=TOP,
                              timeout=300)

    def cli(self, *args, driver=True):
        return self.command(['-m', 'nova_lightsnap.cmd.lightsnap',
                             '--connect', domains.URI, '--state-dir',
                             self.vm.state_dir] + list(args), driver)

    def ok(self, *args, driver=True):
        proc = self.cli(*args, driver=driver)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout

    def probe(self, driver):
        proc = self.command(['-c', 'from nova_lightsnap.engine import '
                             'qemu_gluster; print(qemu_gluster.available())'],
                            driver)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout.strip()

    def everything(self):
        """What a refused command must leave as it was."""
        digests = {}
        for directory, _, names in os.walk(self.vm.dir):
            for name in names:
                if name.endswith('.lock'):
                    continue  # holds the pid of the last lock holder
                path = os.path.join(directory, name)
                with open(path, 'rb') as handle:
                    digests[path] = hashlib.sha256(handle.read()).hexdigest()
        return (digests, self.vm.gluster_files(),
                self.vm.domain.XMLDesc(0),
                self.ok('list', self.vm.name, '--format', 'json'))

    def mismatches(self, expected):
        disks = self.vm.disks()
        return {t: self.vm.mismatches(disks[t].active.ref, expected[t], 4)
                for t in ('vda', 'vdb')}

    def test_the_probe_sees_the_module_directory(self):
        self.assertEqual('True', self.probe(driver=True))
        self.assertEqual('False', self.probe(driver=False))

    def test_gluster_disks_refused_with_advice_and_nothing_changed(self):
        name = self.vm.name
        self.vm.write('vdb', 0, 1)
        self.ok('create', name, '--name', 's1')
        self.vm.write('vdb', 0, 2)
        self.vm.write('vdb', 1, 3)
        self.vm.write('vda', 2, 4)
        live = {'vda': {2: 4}, 'vdb': {0: 2, 1: 3}}
        before = self.everything()

        for args in (('create', name, '--name', 's2'),
                     ('delete', name, 's1'), ('revert', name, 's1'),
                     ('commit-all', name),
                     ('export', name, 's1', '--disk', 'vda', '--to',
                      os.path.join(self.vm.dir, 'export.qcow2'))):
            proc = self.cli(*args, driver=False)
            self.assertEqual(5, proc.returncode, (args, proc.stderr))
            for words in ('QEMU on this host has no gluster block driver',
                          "Unknown driver 'gluster'", 'disk vdb of %s' % name,
                          'Nothing was changed', 'qemu-block-extra',
                          'gluster_transport = fuse'):
                self.assertIn(words, proc.stderr, args)
            self.assertEqual(before, self.everything(), args)
        # Listing touches no image.
        self.assertIn('s1', self.ok('list', name, driver=False))
        self.assertEqual({'vda': [], 'vdb': []}, self.mismatches(live))

        # With the driver the same delete goes through, data intact.
        self.ok('delete', name, 's1')
        self.assertEqual({'vda': [], 'vdb': []}, self.mismatches(live))
