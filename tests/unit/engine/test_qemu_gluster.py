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

"""How qemu-img's answer is read (a real QEMU without the driver:
tests/functional/test_qemu_gluster_driver.py)."""

import subprocess

import fixtures

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import qemu_gluster
from tests.support import testcase

WITH = ("qemu-img: Could not open 'driver=gluster': Parameter 'server' is "
        "missing\nUsage: -drive driver=qcow2,file.driver=gluster,...\n")
WITHOUT = ("qemu: module block-block-gluster not found, do you want to "
           "install qemu-block-extra package?\nqemu-img: Could not open "
           "'driver=gluster': Unknown driver 'gluster'\n")


class ProbeTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(qemu_gluster, '_found',
                                                 False))
        self.run = self.useFixture(fixtures.MockPatch(
            'subprocess.run')).mock

    def answer(self, stderr):
        self.run.return_value = subprocess.CompletedProcess(
            qemu_gluster.PROBE, 1, '', stderr)

    def test_a_found_driver_is_remembered(self):
        self.answer(WITH)
        self.assertIs(True, qemu_gluster.available())
        self.assertIs(True, qemu_gluster.available())
        self.run.assert_called_once_with(
            qemu_gluster.PROBE, capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)

    def test_a_missing_driver_is_looked_for_again(self):
        self.answer(WITHOUT)
        self.assertIs(False, qemu_gluster.available())
        self.answer(WITH)  # qemu-block-extra installed meanwhile
        self.assertIs(True, qemu_gluster.available())
        self.assertEqual(2, self.run.call_count)

    def test_no_qemu_img_is_unknown(self):
        self.run.side_effect = FileNotFoundError(2, 'No such file',
                                                 'qemu-img')
        self.assertIsNone(qemu_gluster.available())
        self.run.side_effect = subprocess.TimeoutExpired(
            qemu_gluster.PROBE, 60)
        self.assertIsNone(qemu_gluster.available())

    def test_require_refuses_gluster_disks_only_without_the_driver(self):
        self.answer(WITHOUT)
        qemu_gluster.require('dom', [])
        self.run.assert_not_called()  # no gluster disk: nothing to ask
        exc = self.assertRaises(errors.Unsupported, qemu_gluster.require,
                                'dom', ['vdc', 'vdb'])
        for words in ("no gluster block driver (qemu-img: Unknown driver "
                      "'gluster')", 'disk vdb, vdc of dom',
                      'Nothing was changed', 'qemu-block-extra',
                      '[lightsnap] gluster_transport = fuse'):
            self.assertIn(words, str(exc))
        self.assertEqual(5, exc.exit_code)
        self.answer(WITH)
        qemu_gluster.require('dom', ['vdb'])

    def test_unknown_does_not_refuse(self):
        # A host whose qemu-img cannot even run fails further on, with
        # its own error; the check itself must not stand in the way.
        self.run.side_effect = OSError(13, 'Permission denied')
        qemu_gluster.require('dom', ['vdb'])
