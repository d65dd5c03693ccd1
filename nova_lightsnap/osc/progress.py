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

"""``--wait``: follow a 202 operation and show its progress on stderr.

stdout stays for the command's output (-f json/value must remain
parseable); the percent comes from the API's ``progress`` field.
"""

import sys

# Polling the API is cheap (one GET); half a second keeps short operations
# (a create takes tens of milliseconds) from waiting a whole second.
POLL_INTERVAL = 0.5


class Progress:

    def __init__(self, label, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self.last = None

    def __call__(self, resource, state, percent):
        line = '%s: %s' % (self.label, state)
        if percent is not None:
            line += ' %d%%' % percent
        if line == self.last:
            return
        if self.tty:
            # One line, rewritten: the padding clears a longer previous one.
            width = len(self.last or '')
            self.stream.write('\r' + line.ljust(width))
        else:
            self.stream.write(line + '\n')
        self.stream.flush()
        self.last = line

    def close(self):
        if self.tty and self.last is not None:
            self.stream.write('\n')
            self.stream.flush()


def follow(waiter, label, **kwargs):
    """Run ``waiter(progress=..., interval=...)``, the progress shown."""
    progress = Progress(label)
    try:
        return waiter(progress=progress, interval=POLL_INTERVAL, **kwargs)
    finally:
        progress.close()
