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

"""The jobs a compute shows: running (progress) and how the last one
ended (last_job), which an API process that took an operation over reads
instead of the reply its dead caller never got."""

from nova_lightsnap.compute import manager
from nova_lightsnap.engine import errors
from tests.support import testcase

UUID_A = '11111111-2222-4333-8444-555555555555'
UUID_B = '11111111-2222-4333-8444-666666666666'


class JobTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.ops = manager.InstanceOperations(None, None, None)

    def test_a_job_shows_while_it_runs_then_its_end(self):
        self.assertIsNone(self.ops.last_job(UUID_A))
        with self.ops._job([UUID_A], 'delete', 's1'):
            self.assertEqual('delete', self.ops.progress(UUID_A)['op'])
            self.assertIsNone(self.ops.last_job(UUID_A))
        self.assertIsNone(self.ops.progress(UUID_A))
        self.assertEqual({'op': 'delete', 'name': 's1', 'error': None},
                         self.ops.last_job(UUID_A))

    def test_a_failure_keeps_its_message(self):
        def failing(exc):
            with self.ops._job([UUID_A], 'create', 's1'):
                raise exc

        self.assertRaises(errors.InvalidState, failing,
                          errors.InvalidState('disk full'))
        self.assertEqual('disk full', self.ops.last_job(UUID_A)['error'])
        self.assertRaises(KeyError, failing, KeyError('x'))
        self.assertIn('internal error (KeyError',
                      self.ops.last_job(UUID_A)['error'])
        self.assertIsNone(self.ops.progress(UUID_A))

    def test_a_set_shows_on_every_member_and_busy_takes_none(self):
        with self.ops._job([UUID_A], 'revert', 's1'):
            def set_job():
                with self.ops._job([UUID_B, UUID_A], 'set-create', 'n'):
                    pass
            self.assertRaises(errors.Busy, set_job)
            # B was not left busy, and no end was recorded: nothing ran.
            self.assertIsNone(self.ops.progress(UUID_B))
            self.assertIsNone(self.ops.last_job(UUID_B))
        with self.ops._job([UUID_A, UUID_B], 'set-create', 'n'):
            self.assertEqual('set-create', self.ops.progress(UUID_B)['op'])
        self.assertEqual('n', self.ops.last_job(UUID_A)['name'])
        self.assertEqual('n', self.ops.last_job(UUID_B)['name'])
