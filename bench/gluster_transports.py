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

"""The two ways a gluster volume reaches QEMU, side by side: libgfapi (a
network disk) and FUSE (a file on a mount made by our volume driver with
``gluster_transport = fuse``). On the same volume and the same running
tiny guest: light-snapshot create, delete of a 64 MiB delta, revert, and
the guest's own sequential and random I/O on the disk, by the guest's
clock. Both disks use cache mode none, as Nova gives a volume.
"""

from bench import common
from tests.support import domains
from tests.support import guest

MiB = common.MiB
DELTA = 64 * MiB
SEQ_MIB = 128
RANDOM_OPS = 300
# A local file disk as the reference: what the guest gets without gluster.
TRANSPORTS = (('libgfapi', 'volume'), ('fuse', 'fuse'), ('local', 'file'))


def guest_seconds(agent, script):
    """Seconds ``script`` takes by the guest's clock (centiseconds); a
    failed dd fails the benchmark."""
    out = agent.sh('set -e; read a _ < /proc/uptime; %s; '
                   'read b _ < /proc/uptime; echo $a $b' % script,
                   timeout=900)
    start, end = (float(x) for x in out.split()[-2:])
    return max(end - start, 0.01)


def random_loop(dd):
    """RANDOM_OPS single 4 KiB direct requests spread over the first GiB
    (a fixed pseudo-random walk, the same on both transports)."""
    return ('i=0; o=1; while [ $i -lt %d ]; do o=$(( (o * 1103 + 12345) '
            '%% 262144 )); %s 2>/dev/null; i=$((i+1)); done'
            % (RANDOM_OPS, dd))


def guest_io(agent):
    seq_write = guest_seconds(
        agent, 'dd if=/dev/zero of=/dev/vda bs=1M count=%d oflag=direct '
        '2>/dev/null' % SEQ_MIB)
    seq_read = guest_seconds(
        agent, 'echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda '
        'of=/dev/null bs=1M count=%d iflag=direct 2>/dev/null' % SEQ_MIB)
    rand_read = guest_seconds(agent, random_loop(
        'dd if=/dev/vda of=/dev/null bs=4k count=1 skip=$o iflag=direct'))
    rand_write = guest_seconds(agent, random_loop(
        'dd if=/dev/zero of=/dev/vda bs=4k count=1 seek=$o oflag=direct '
        'conv=notrunc'))
    return {'seq_write_mib_s': round(SEQ_MIB / seq_write, 1),
            'seq_read_mib_s': round(SEQ_MIB / seq_read, 1),
            'rand_read_iops': round(RANDOM_OPS / rand_read),
            'rand_write_iops': round(RANDOM_OPS / rand_write)}


def measure(kind, rounds=3):
    vm = common.BenchDomain(common.GiB, 0, running=False,
                            os_xml=domains.guest_os_xml(), memory=256,
                            agent=True, kind=kind, cache='none')
    try:
        started, _ = common.timed(vm.dom.create)
        agent = guest.GuestAgent(vm.dom)
        agent.wait_ready(300)
        row = {'start_s': round(started, 2), 'io': guest_io(agent)}
        creates = [common.timed(vm.handle().create, 'c%d' % i, 'off')[0]
                   for i in range(rounds)]
        vm.hmp_write(0, DELTA)
        vm.handle().create('delta', 'off')
        handle = vm.handle()
        # The newest snapshot but one: the 64 MiB written after it go
        # down into the layer below (an intermediate commit).
        delete, _ = common.timed(handle.delete, 'c%d' % (rounds - 1))
        revert, _ = common.timed(vm.handle().revert, 'c0')
        row.update(create=common.summary(creates),
                   delete_64mib_s=round(delete, 2),
                   delete_steps=[s.kind for s in handle.steps],
                   revert_s=round(revert, 2))
    finally:
        vm.close()
    return row


def run():
    rows = {name: measure(kind) for name, kind in TRANSPORTS}
    lines = ['gluster volume: libgfapi network disk vs file on a FUSE mount '
             '(running tiny guest, cache none)',
             '  transport  create ms  delete 64 MiB s  revert s  '
             'seq write MiB/s  seq read MiB/s  rand read IOPS  '
             'rand write IOPS']
    for name, _ in TRANSPORTS:
        r = rows[name]
        lines.append('  %-9s  %9.0f  %15.2f  %8.2f  %15.1f  %14.1f  %14d  '
                     '%15d' % (name, r['create']['median_ms'],
                               r['delete_64mib_s'], r['revert_s'],
                               r['io']['seq_write_mib_s'],
                               r['io']['seq_read_mib_s'],
                               r['io']['rand_read_iops'],
                               r['io']['rand_write_iops']))
    return rows, lines
