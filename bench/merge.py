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

"""Delete (merge) time of a 64 MiB delta on a small and on a big base, and
the merge's throughput against a plain direct-I/O copy of the same bytes."""

import os
import re
import subprocess

from bench import common

MiB = common.MiB
DELTA = 64 * MiB


def delete_oldest(base_data):
    """Deleting the oldest snapshot folds the delta above it into the base
    image: an intermediate blockCommit of DELTA bytes."""
    vm = common.BenchDomain(8 * common.GiB, base_data)
    try:
        vm.handle().create('base', 'off')
        vm.hmp_write(0, DELTA)
        vm.handle().create('delta', 'off')
        vm.hmp_write(DELTA, MiB)
        handle = vm.handle()
        elapsed, _ = common.timed(handle.delete, 'base')
        kinds = [s.kind for s in handle.steps]
    finally:
        vm.close()
    return {'base_data_mib': base_data // MiB, 'delta_mib': DELTA // MiB,
            'delete_s': round(elapsed, 3), 'steps': kinds,
            'merge_mib_per_s': round(DELTA / MiB / elapsed, 1)}


def dd_copy():
    """The same bytes copied with O_DIRECT on the same file system."""
    src = os.path.join(common.domains.TEST_DIR, 'dd-src.bin')
    dst = os.path.join(common.domains.TEST_DIR, 'dd-dst.bin')
    try:
        subprocess.run(['dd', 'if=/dev/urandom', 'of=%s' % src, 'bs=1M',
                        'count=%d' % (DELTA // MiB)], check=True,
                       capture_output=True)
        out = subprocess.run(['dd', 'if=%s' % src, 'of=%s' % dst, 'bs=1M',
                              'iflag=direct', 'oflag=direct'],
                             check=True, capture_output=True, text=True)
        seconds = float(re.search(r'copied, ([\d.]+) s', out.stderr)
                        .group(1))
    finally:
        for path in (src, dst):
            if os.path.exists(path):
                os.unlink(path)
    return {'dd_direct_s': round(seconds, 3),
            'dd_mib_per_s': round(DELTA / MiB / seconds, 1)}


def run():
    rows = [delete_oldest(64 * MiB), delete_oldest(4 * common.GiB)]
    dd = dd_copy()
    lines = ['delete (merge) of a 64 MiB delta',
             '  base data   time s   steps   MiB/s   vs dd O_DIRECT copy']
    for r in rows:
        lines.append('  %6d MiB  %6.3f   %-7s %6.0f   %.2fx of %.0f MiB/s' % (
            r['base_data_mib'], r['delete_s'], '+'.join(r['steps']),
            r['merge_mib_per_s'], r['merge_mib_per_s'] / dd['dd_mib_per_s'],
            dd['dd_mib_per_s']))
    return {'deletes': rows, 'dd': dd}, lines
