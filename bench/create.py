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

"""Create latency on a running domain, against the bare libvirt call and
against the full copy that an image snapshot has to make."""

import os
import statistics
import subprocess

from bench import common
from nova_lightsnap.engine import images
from nova_lightsnap.engine import merge

GiB = common.GiB
# (virtual size, bytes written); a 1 GiB disk cannot hold 4 GiB.
CASES = ((1 * GiB, 1 * GiB), (16 * GiB, 1 * GiB), (16 * GiB, 4 * GiB))


def measure(size, written, rounds):
    vm = common.BenchDomain(size, written)
    try:
        engine = [common.timed(vm.handle().create, 'b%d' % i, 'off')[0]
                  for i in range(rounds)]
        # The bare libvirt call on the same domain: overlays prepared the
        # same way beforehand, only snapshotCreateXML timed.
        raw = []
        parent = vm.handle()._disks()['vda'].active.ref
        for i in range(rounds):
            ref = parent.sibling('raw%d.qcow2' % i)
            images.create_overlay(ref, parent.basename, 'qcow2', size)
            xml = merge.snapshot_xml({'vda': ref})
            flags = merge.SNAPSHOT_FLAGS | merge.ATOMIC_FLAG
            raw.append(common.timed(vm.dom.snapshotCreateXML, xml,
                                    flags)[0])
            parent = ref
        dest = os.path.join(vm.dir, 'full-copy.qcow2')
        full = common.timed(subprocess.run, [
            'qemu-img', 'convert', '-U', '-O', 'qcow2', parent.path, dest],
        )[0]
    finally:
        vm.close()
    median = statistics.median(engine)
    return {'disk_gib': size // GiB, 'written_gib': written // GiB,
            'engine_create': common.summary(engine),
            'libvirt_call': common.summary(raw),
            'overhead_ratio': round(median / statistics.median(raw), 2),
            'full_copy_s': round(full, 2),
            'full_copy_over_create': round(full / median)}


def run(rounds=20):
    rows = [measure(size, written, rounds) for size, written in CASES]
    lines = ['create latency, running domain, %d rounds' % rounds,
             '  disk  written  engine med/p95 ms   libvirt call ms  ratio  '
             'full copy s  copy/create']
    for r in rows:
        lines.append('  %2d G  %2d G     %6.1f / %6.1f    %6.1f / %6.1f  %5.2f'
                     '  %8.1f     %6dx' % (
                         r['disk_gib'], r['written_gib'],
                         r['engine_create']['median_ms'],
                         r['engine_create']['p95_ms'],
                         r['libvirt_call']['median_ms'],
                         r['libvirt_call']['p95_ms'], r['overhead_ratio'],
                         r['full_copy_s'], r['full_copy_over_create']))
    return rows, lines
