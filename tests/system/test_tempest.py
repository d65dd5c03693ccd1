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

"""Tempest 47 against the cloud: the tests that reach assisted volume
snapshots, and a server's boot and hard reboot (the list, the
configuration and why: tools/cloud/tempest/)."""

import os
import subprocess

from tests.system import base

RUN = os.path.join(base.TOP, 'tools', 'cloud', 'tempest', 'run')
INCLUDE_LIST = os.path.join(base.TOP, 'tools', 'cloud', 'tempest',
                            'include-list')


class TempestTest(base.CloudTestCase):

    def test_the_listed_tempest_tests_pass(self):
        with open(INCLUDE_LIST) as f:
            wanted = len([line for line in f
                          if line.strip() and not line.startswith('#')])
        out = subprocess.run([RUN], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
        self.addDetail('tempest', base.text(out.stdout + out.stderr))
        self.assertEqual(0, out.returncode, out.stdout[-3000:] + out.stderr)
        self.assertIn('%d passed, 0 failed, 0 skipped' % wanted,
                      out.stdout)
