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

"""Name validation: snapshot names and basenames from outside."""

import os

from hypothesis import given
from hypothesis import strategies as st

from nova_lightsnap.engine import errors
from nova_lightsnap import names

from tests.support import testcase


class NamesTest(testcase.TestCase):

    def test_plain_names_pass(self):
        for name in ('s1', 'before-upgrade', 'daily.2026-11-21', 'A_b'):
            self.assertEqual(name, names.check_snapshot_name(name))

    def test_path_like_and_odd_names_are_refused(self):
        for name in ('', '../x', '/etc/x', 'a/b', '.x', '-x', 'x' * 65,
                     'a\0b', 'caf\u00e9', 'a b', '..', 'a..b', 's1\n', None,
                     3):
            self.assertRaises(errors.InvalidInput,
                              names.check_snapshot_name, name)

    @given(st.text(max_size=80))
    def test_nothing_accepted_can_leave_the_directory(self, name):
        try:
            names.check_snapshot_name(name)
        except errors.InvalidInput:
            return
        self.assertNotIn('/', name)
        self.assertNotIn('\0', name)
        self.assertFalse(name.startswith('.'))
        self.assertEqual(os.path.basename(name), name)

    @given(st.text(max_size=300))
    def test_basenames_stay_basenames(self, name):
        try:
            names.check_basename(name)
        except errors.InvalidInput:
            return
        self.assertEqual(os.path.basename(name), name)
        self.assertNotIn(name, ('.', '..'))
