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

"""The lightsnap-api console script refuses noauth on an address that is
not loopback: it exits with the message before binding (0.0.0.0 is only
written in its configuration; nothing listens or is sent anywhere)."""

import os
import subprocess

import fixtures

from tests.functional.api import base
from tests.support import testcase


class NoOpenDoorTest(testcase.TestCase):

    def test_refused_before_binding(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        config = os.path.join(tmp, 'api.conf')
        with open(config, 'w') as f:
            # No database exists: the refusal comes before it is read.
            f.write('[api]\nbind_host = 0.0.0.0\nbind_port = 1\n'
                    '[database]\nconnection = sqlite:///%s/none.sqlite\n'
                    % tmp)
        run = subprocess.run(
            [os.path.join(base.BIN, 'lightsnap-api'), '--config-file',
             config], capture_output=True, text=True, timeout=120)
        self.assertEqual(2, run.returncode, run.stderr)
        self.assertIn('refusing to serve auth_strategy = noauth on 0.0.0.0',
                      run.stderr)
        self.assertIn('auth_strategy = keystone', run.stderr)
        self.assertFalse(os.path.exists(os.path.join(tmp, 'none.sqlite')))
