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
afterwards.
"""

import logging

import fixtures
import testtools


FORMAT = ('%(asctime)s %(process)d %(levelname)s %(name)s '
          '[%(threadName)s] %(message)s')


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
        self.logger = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format=FORMAT))

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
