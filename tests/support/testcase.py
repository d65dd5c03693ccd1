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

"""The base class of the suite's own tests.

A stestr worker's stdout is its subunit stream; anything else written there
is copied into the run's output as text. Importing nova.test sets oslo.log
up on the root logger with a stdout handler, and so does every call of the
API's configuration loader (oslo.log's setup replaces the root logger's
handlers). Every log record of every later test in that worker then went to
the run's output: hundreds of kilobytes per run, with tracebacks of expected
errors among them that read like failures.

Here each test's records, and what it prints, go into its details instead,
shown only when it fails. A handler that oslo.log sets up during the test
writes to the test's own stdout, and the root logger is put back as it was
afterwards. Only the last LOG_TAIL records are kept: stestr prints a failed
test's details twice, and a run's output must stay small enough for CI to
keep its end, where the totals are.
"""

import collections
import logging

import fixtures
import testtools
from testtools import content


FORMAT = ('%(asctime)s %(process)d %(levelname)s %(name)s '
          '[%(threadName)s] %(message)s')
LOG_TAIL = 300


class _Tail(logging.Handler):

    def __init__(self, size):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(FORMAT))
        self.records = collections.deque(maxlen=size)
        self.seen = 0

    def emit(self, record):
        self.seen += 1
        self.records.append(self.format(record))

    def text(self):
        dropped = self.seen - len(self.records)
        head = ['(%d earlier records not kept)' % dropped] if dropped else []
        return '\n'.join(head + list(self.records))


class CapturedOutput(fixtures.Fixture):

    def _setUp(self):
        root = logging.getLogger()
        self.addCleanup(self._restore, root, list(root.handlers), root.level)
        for name in ('stdout', 'stderr'):
            # Not the detail names "stdout" and "stderr": stestr prints
            # those even for a test that passed.
            stream = self.useFixture(
                fixtures.StringStream('captured-' + name)).stream
            self.useFixture(fixtures.MonkeyPatch('sys.' + name, stream))
        for handler in list(root.handlers):
            root.removeHandler(handler)
        tail = _Tail(LOG_TAIL)
        root.addHandler(tail)
        root.setLevel(logging.DEBUG)
        self.addDetail('logs', content.Content(
            content.UTF8_TEXT, lambda: [tail.text().encode('utf-8')]))

    @staticmethod
    def _restore(root, handlers, level):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


class TestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(CapturedOutput())
