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

"""Guest-visible sequential read throughput after 0, 10 and 50 snapshots.

The data sits in the base image, so every read goes through the whole
chain: the worst case for a deep chain. The engine keeps one layer per
snapshot (no depth cap), so the chain is 1, 11 and 51 images deep.
"""

import statistics

from bench import common
from tests.support import domains
from tests.support import guest

READ_MIB = 256


def guest_read(agent):
    """Seconds the guest takes to read READ_MIB, by the guest's clock
    (busybox dd prints no timing; /proc/uptime has centiseconds)."""
    out = agent.sh(
        'sync; echo 3 > /proc/sys/vm/drop_caches; '
        'read a _ < /proc/uptime; '
        'dd if=/dev/vda of=/dev/null bs=1M count=%d 2>/dev/null; '
        'read b _ < /proc/uptime; echo $a $b' % READ_MIB, timeout=300)
    start, end = (float(x) for x in out.split())
    return max(end - start, 0.01)


def run(depths=(0, 10, 50), repeats=3):
    vm = common.BenchDomain(common.GiB, 512 * common.MiB,
                            os_xml=domains.guest_os_xml(), memory=256,
                            agent=True)
    rows = []
    try:
        agent = guest.GuestAgent(vm.dom)
        agent.wait_ready(300)
        taken = 0
        for depth in depths:
            while taken < depth:
                vm.handle().create('d%d' % taken, 'off')
                taken += 1
            seconds = statistics.median(guest_read(agent)
                                        for _ in range(repeats))
            rows.append({'snapshots': depth,
                         'chain_images': depth + 1,
                         'read_mib_per_s': round(READ_MIB / seconds, 1)})
    finally:
        vm.close()
    base = rows[0]['read_mib_per_s']
    lines = ['guest sequential read of %d MiB (TCG guest, page cache '
             'dropped)' % READ_MIB,
             '  snapshots   MiB/s   vs no snapshot']
    for r in rows:
        lines.append('  %9d   %5.1f   %.2f' % (
            r['snapshots'], r['read_mib_per_s'], r['read_mib_per_s'] / base))
    return rows, lines
