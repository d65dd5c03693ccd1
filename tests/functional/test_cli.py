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

"""The ``lightsnap`` command: its contract, and bad input refused cleanly."""

import hashlib
import json
import os
import subprocess
import sys

from nova_lightsnap.engine import state
from tests.support import domains
from tests.support import testcase

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class CliTest(testcase.TestCase):
    timeout_seconds = 600

    def setUp(self):
        super().setUp()
        self.vm = self.useFixture(domains.TestDomain())

    def run_cli(self, *args):
        cmd = [sys.executable, '-m', 'nova_lightsnap.cmd.lightsnap',
               '--connect', domains.URI, '--state-dir', self.vm.state_dir]
        return subprocess.run(cmd + list(args), capture_output=True,
                              text=True, cwd=TOP, timeout=300)

    def ok(self, *args):
        proc = self.run_cli(*args)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout

    def everything(self):
        """All a refused command must leave as it was."""
        files = {}
        for name in self.vm.local_files():
            if name.endswith('.lock'):
                continue  # holds the pid of the last lock holder
            with open(os.path.join(self.vm.dir, name), 'rb') as handle:
                files[name] = hashlib.sha256(handle.read()).hexdigest()
        xml = self.vm.domain.XMLDesc(0)
        return files, xml, self.ok('list', self.vm.name, '--format', 'json')

    def test_list_json_contract(self):
        self.vm.write('vda', 0, 1)
        self.ok('create', self.vm.name, '--name', 'a', '--quiesce', 'off')
        self.vm.write('vda', 0, 2)
        self.ok('create', self.vm.name, '--name', 'b')
        data = json.loads(self.ok('list', self.vm.name, '--format', 'json'))
        self.assertEqual(['a', 'b'], [s['name'] for s in data])
        for snap in data:
            self.assertEqual({'vda', 'vdb'}, set(snap['disks']))
            self.assertTrue(snap['created_at'])
            for path in snap['disks'].values():
                self.assertTrue(os.path.isabs(path))
        self.assertEqual([], self.vm.mismatches(
            domains.chain.ImageRef('file', data[0]['disks']['vda']),
            {0: 1}, 2))
        table = self.ok('list', self.vm.name)
        self.assertIn('name', table.splitlines()[0])
        self.assertIn('b', table)

    def test_disk_choice_leaves_the_other_disks_alone(self):
        vdb = self.vm.roots['vdb']
        self.vm.write('vda', 0, 1)
        self.vm.write('vdb', 0, 7)
        self.ok('create', self.vm.name, '--name', 'a', '--disk', 'vda')
        self.vm.write('vda', 0, 2)
        self.vm.write('vdb', 1, 8)
        # Later creates cover what the first one chose.
        self.ok('create', self.vm.name, '--name', 'b')
        data = json.loads(self.ok('list', self.vm.name, '--format', 'json'))
        self.assertEqual([['vda'], ['vda']],
                         [sorted(s['disks']) for s in data])
        self.assertEqual([vdb], [i.ref for i in
                                 self.vm.disks()['vdb'].chain])
        # Another choice, or a disk the domain lacks, is refused.
        for disk in ('vdb', 'vdz', '../vda'):
            proc = self.run_cli('create', self.vm.name, '--disk', disk)
            self.assertNotEqual(0, proc.returncode, disk)
            self.assertIn('lightsnap: error:', proc.stderr)
        self.assertEqual(2, len(json.loads(self.ok(
            'list', self.vm.name, '--format', 'json'))))
        self.ok('revert', self.vm.name, 'a')
        self.ok('delete', self.vm.name, 'b')
        self.ok('commit-all', self.vm.name)
        disks = self.vm.disks()
        self.assertEqual([vdb], [i.ref for i in disks['vdb'].chain])
        self.assertEqual([self.vm.roots['vda']],
                         [i.ref for i in disks['vda'].chain])
        self.assertEqual([], self.vm.mismatches(vdb, {0: 7, 1: 8}, 2))
        self.assertEqual([], self.vm.mismatches(self.vm.roots['vda'],
                                                {0: 1}, 2))
        # With no snapshot left, the domain may cover other disks.
        self.ok('create', self.vm.name, '--name', 'c', '--disk', 'vdb')
        data = json.loads(self.ok('list', self.vm.name, '--format', 'json'))
        self.assertEqual(['vdb'], sorted(data[0]['disks']))

    def test_list_works_without_libvirt(self):
        self.ok('create', self.vm.name, '--name', 'a')
        cmd = [sys.executable, '-m', 'nova_lightsnap.cmd.lightsnap',
               '--connect', 'qemu+unix:///system?socket=/nonexistent/sock',
               '--state-dir', self.vm.state_dir, 'list', self.vm.name,
               '--format', 'json']
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=TOP)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn('listed from metadata', proc.stderr)
        self.assertEqual(json.loads(self.ok('list', self.vm.name, '--format',
                                            'json')),
                         json.loads(proc.stdout))

    def test_bad_input_is_refused_and_changes_nothing(self):
        self.ok('create', self.vm.name, '--name', 'good')
        outside = os.path.join(self.vm.dir, 'outside.qcow2')
        with open(outside, 'w') as handle:
            handle.write('not an image')
        before = self.everything()
        bad_names = ['../x', '/etc/passwd', 'a/b', '.hidden', '-x', 'x' * 65,
                     'caf\u00e9', 'a b', '..']
        cases = []
        for name in bad_names:
            cases += [('create', self.vm.name, '--name=' + name),
                      ('delete', self.vm.name, '--', name),
                      ('revert', self.vm.name, '--', name),
                      ('export', self.vm.name, '--', name, '--disk', 'vda',
                       '--to', os.path.join(self.vm.dir, 'e.qcow2')),
                      ('set', 'create', '--', name, self.vm.name)]
        cases += [
            ('delete', self.vm.name, 'missing'),
            ('revert', self.vm.name, 'missing'),
            ('export', self.vm.name, 'good', '--disk', '../vda', '--to',
             os.path.join(self.vm.dir, 'e.qcow2')),
            ('export', self.vm.name, 'good', '--disk', 'vda', '--to',
             outside),
            ('create', 'no-such-domain'),
            ('list', 'no-such-domain'),
            ('create', self.vm.name, '--name', 'good'),
            ('create', self.vm.name, '--quiesce', 'maybe'),
            ('set', 'restore', 'no-such-set'),
            ('set', 'delete', '../etc'),
        ]
        for args in cases:
            proc = self.run_cli(*args)
            self.assertNotEqual(0, proc.returncode, args)
            self.assertTrue(proc.stderr.strip(), args)
            self.assertNotIn('Traceback', proc.stderr, args)
            self.assertEqual(before, self.everything(), args)
        self.assertFalse(os.path.exists('/etc/passwd.ls0001.qcow2'))
        self.assertEqual('[]\n', self.ok('set', 'list', '--format', 'json'))

    def test_second_operation_while_one_runs_is_refused(self):
        self.ok('create', self.vm.name, '--name', 'one')
        before = self.everything()
        entry = state.Registry(self.vm.state_dir).find_domain(
            self.vm.name)
        with state.StateFile(entry['state']).locked('test'):
            for args in (('create', self.vm.name, '--name', 'two'),
                         ('delete', self.vm.name, 'one'),
                         ('revert', self.vm.name, 'one'),
                         ('commit-all', self.vm.name)):
                proc = self.run_cli(*args)
                self.assertEqual(4, proc.returncode, proc.stderr)
                self.assertIn('another lightsnap operation is running',
                              proc.stderr)
        self.assertEqual(before, self.everything())
        self.ok('delete', self.vm.name, 'one')
