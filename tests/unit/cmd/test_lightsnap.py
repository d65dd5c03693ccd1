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

"""What the ``lightsnap`` command shows: progress bar and parser."""

import io

from nova_lightsnap.cmd import lightsnap

from tests.support import testcase


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class ProgressBarTest(testcase.TestCase):

    def test_bar_on_a_terminal(self):
        out = FakeTerminal()
        bar = lightsnap.ProgressBar(out, width=10)
        bar('vda: commit', 50.0)
        bar('vda: commit', 50.0)  # unchanged: not drawn twice
        bar('vda: commit', 100.0)
        text = out.getvalue()
        self.assertEqual(1, text.count('[#####.....]  50.0% vda: commit'))
        self.assertIn('[##########] 100.0% vda: commit\n', text)

    def test_silent_when_not_a_terminal(self):
        out = io.StringIO()
        lightsnap.ProgressBar(out)('x', 10)
        self.assertEqual('', out.getvalue())


class ParserTest(testcase.TestCase):

    def test_contract_commands_parse(self):
        parser = lightsnap.build_parser()
        for argv in (['create', 'd', '--name', 'n', '--quiesce', 'off'],
                     ['list', 'd', '--format', 'json'],
                     ['delete', 'd', 'n'], ['revert', 'd', 'n'],
                     ['commit-all', 'd'],
                     ['export', 'd', 'n', '--disk', 'vda', '--to', '/x'],
                     ['set', 'create', 's', 'd1', 'd2', '--quiesce',
                      'required'],
                     ['set', 'list', '--format', 'json'],
                     ['set', 'restore', 's'], ['set', 'delete', 's']):
            args = parser.parse_args(argv)
            self.assertTrue(callable(args.func), argv)
