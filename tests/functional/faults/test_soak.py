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

"""Create/delete cycles on one running domain while it keeps writing.

A writer thread writes through QEMU all the time; snapshots are taken and
the oldest deleted (merges run under the writes), keeping a few. Checked
all along: the chain depth stays bounded, the image files are exactly the
layers in the metadata, no block job is left, the process's memory and
open files stay flat, and every snapshot and the live disk hold what was
written.

The normal suite runs a short version; ``./run soak`` (``python -m
tests.soak``) runs 1,000 cycles (LIGHTSNAP_SOAK_CYCLES).
"""

import os
import threading
import time

from testtools import content

from tests.functional import base

CYCLES = int(os.environ.get('LIGHTSNAP_SOAK_CYCLES', '30'))
KEEP = 3
CHECK_EVERY = max(10, CYCLES // 20)
# Growth allowed from the first sample (caches warm) to the last, and, on a
# long run, over its second half (a leak of a few KiB per cycle shows).
RSS_SLACK = 16 * 1024 * 1024
RSS_SLACK_SECOND_HALF = 1024 * 1024
FD_SLACK = 4


def _rss():
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return 0


def _fds():
    return len(os.listdir('/proc/self/fd'))


class Writer(threading.Thread):
    """Writes through QEMU without pause; ``paused`` holds it off."""

    def __init__(self, test):
        super().__init__(daemon=True)
        self.test = test
        self.paused = threading.Lock()
        self.stop = threading.Event()
        self.writes = 0
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                with self.paused:
                    self.test.write('vda')
                    self.writes += 1
                time.sleep(0.01)
        except Exception as exc:  # reported by the test
            self.error = exc


class SoakTest(base.EngineTestCase):
    disks = {'vda': 'file'}
    timeout_seconds = max(600, CYCLES * 6)

    def test_create_delete_cycles_under_writes(self):
        self.host.job_timeout = 120
        handle_dir = self.vm.dir
        writer = Writer(self)
        writer.start()
        self.addCleanup(writer.stop.set)
        samples = []
        depth_max = 0
        started = time.monotonic()
        for cycle in range(1, CYCLES + 1):
            name = 'c%d' % cycle
            with writer.paused:  # the model must know what it holds
                self.create(name)
            if len(self.model.snaps) > KEEP:
                self.delete(min(self.model.snaps,
                                key=lambda n: int(n[1:])))
            depth = len(self.vm.disks()['vda'].chain)
            depth_max = max(depth_max, depth)
            self.assertLessEqual(depth, KEEP + 2, 'cycle %d' % cycle)
            self.assertEqual({}, self.vm.domain.blockJobInfo('vda', 0))
            self.assertIsNone(writer.error)
            if cycle % CHECK_EVERY == 0 or cycle == CYCLES:
                with writer.paused:
                    self.verify('cycle %d' % cycle)
                samples.append((cycle, _rss(), _fds()))
        writer.stop.set()
        writer.join(30)
        self.assertIsNone(writer.error)
        self.verify('at the end')
        self.assertEqual(sorted(f for f in os.listdir(handle_dir)
                                if f not in ('state',)),
                         sorted(self.vm.local_files()))
        self.addDetail('soak', content.text_content(
            'cycles %d in %.0f s, writes %d, max depth %d, '
            '(cycle, rss, fds): %s' % (CYCLES, time.monotonic() - started,
                                       writer.writes, depth_max, samples)))
        self.assertGreater(writer.writes, CYCLES)
        # Flat after the warm-up (first sample): caches are filled by then.
        _, rss0, fds0 = samples[0]
        _, rss1, fds1 = samples[-1]
        self.assertLess(rss1 - rss0, RSS_SLACK, samples)
        if CYCLES >= 500:
            _, rss_mid, _ = samples[len(samples) // 2]
            self.assertLess(rss1 - rss_mid, RSS_SLACK_SECOND_HALF, samples)
        self.assertLessEqual(fds1 - fds0, FD_SLACK, samples)
