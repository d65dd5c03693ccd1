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

"""Revert time, 1 GiB and 16 GiB disks, shut off and running."""

import statistics

from bench import common

GiB = common.GiB


def measure(size, running, rounds=5):
    vm = common.BenchDomain(size, 256 * common.MiB, running=running)
    try:
        vm.handle().create('r', 'off')
        times = [common.timed(vm.handle().revert, 'r')[0]
                 for _ in range(rounds)]
    finally:
        vm.close()
    return {'disk_gib': size // GiB, 'running': running,
            'revert': common.summary(times),
            'median_s': round(statistics.median(times), 3)}


def run():
    rows = [measure(size, running) for size in (GiB, 16 * GiB)
            for running in (False, True)]
    lines = ['revert (running: stop, new overlay, start)',
             '  disk  state     median ms   p95 ms']
    for r in rows:
        lines.append('  %2d G  %-8s  %8.1f  %7.1f' % (
            r['disk_gib'], 'running' if r['running'] else 'shut off',
            r['revert']['median_ms'], r['revert']['p95_ms']))
    return rows, lines
