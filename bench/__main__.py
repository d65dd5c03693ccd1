"""Benchmarks of light snapshots on real libvirt/QEMU (TCG).

``./run bench`` runs them; each prints a table and writes one JSON file
under bench/results/. They measure, they never fail a test run.

1. create latency on a running domain, disks of 1 GiB and 16 GiB with
   1 GiB written: the engine's ``create`` against the bare libvirt call
   (``snapshotCreateXML`` with the same XML and flags, timed in the same
   process) and against a Nova-style full copy (``qemu-img convert``).
2. delete (merge) time of a 64 MiB delta on a base holding 64 MiB and
   4 GiB: the time must follow the delta, not the base.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import libvirt

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

from nova_lightsnap.chain import ImageRef  # noqa: E402
from nova_lightsnap.engine import domain as domain_mod  # noqa: E402
from nova_lightsnap.engine import host as host_mod  # noqa: E402
from nova_lightsnap.engine import images  # noqa: E402
from tests.support import domains  # noqa: E402

GiB = 1024 ** 3
MiB = 1024 ** 2
RESULTS = os.path.join(TOP, 'bench', 'results')


def machine():
    conn = libvirt.open(domains.URI)
    try:
        lib = conn.getLibVersion()
        hyp = conn.getVersion()
    finally:
        conn.close()

    def ver(n):
        return '%d.%d.%d' % (n // 1000000, n // 1000 % 1000, n % 1000)

    return {'cores': os.cpu_count(), 'libvirt': ver(lib), 'qemu': ver(hyp),
            'python': platform.python_version(),
            'kernel': platform.release()}


def qemu_io(path, command):
    subprocess.run(['qemu-io', '-f', 'qcow2', path, '-c', command],
                   check=True, capture_output=True)


class BenchDomain:
    """A running domain, no OS, one qcow2 disk pre-filled offline."""

    def __init__(self, size, filled):
        self.dir = tempfile.mkdtemp(prefix='bench-', dir=domains.TEST_DIR)
        os.chmod(self.dir, 0o755)
        self.name = 'lsbench-%d' % os.getpid()
        self.path = os.path.join(self.dir, 'disk.qcow2')
        domains.qemu_img('create', '-q', '-f', 'qcow2', self.path, size)
        if filled:
            qemu_io(self.path, 'write -P 7 0 %d' % filled)
        os.chmod(self.path, 0o666)
        self.conn = libvirt.open(domains.URI)
        xml = domains.DOMAIN_XML.format(
            name=self.name, memory=64, os=domains.NO_OS,
            disks=domains.disk_xml('vda', ImageRef('file', self.path)),
            extra='')
        self.dom = self.conn.createXML(xml, 0)
        self.host = host_mod.Host(domains.URI,
                                  state_dir=os.path.join(self.dir, 'state'))

    def hmp_write(self, offset, length, pattern=9):
        import libvirt_qemu
        step = 64 * MiB
        for off in range(offset, offset + length, step):
            libvirt_qemu.qemuMonitorCommand(
                self.dom, 'qemu-io -d virtio-disk0/virtio-backend '
                '"write -P %d %d %d"' % (pattern, off, min(step, length)),
                libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    def close(self):
        self.host.close()
        try:
            self.dom.destroy()
        except libvirt.libvirtError:
            pass
        self.conn.close()
        shutil.rmtree(self.dir, True)


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return {'median_ms': round(statistics.median(ordered) * 1000, 1),
            'p95_ms': round(p95 * 1000, 1), 'n': len(ordered)}


def bench_create(size, written, rounds):
    vm = BenchDomain(size, written)
    try:
        handle = vm.host.domain(vm.name)
        engine = []
        for i in range(rounds):
            start = time.perf_counter()
            handle.create('b%d' % i, 'off')
            engine.append(time.perf_counter() - start)
        # The bare libvirt call on the same domain, overlays prepared
        # beforehand exactly as the engine does, only the call timed.
        raw = []
        disk = vm.host.domain(vm.name)._disks()['vda']
        parent = disk.active.ref
        for i in range(rounds):
            ref = parent.sibling('raw%d.qcow2' % i)
            images.create_overlay(ref, parent.basename, 'qcow2', size)
            xml = domain_mod.snapshot_xml({'vda': ref})
            start = time.perf_counter()
            vm.dom.snapshotCreateXML(xml, domain_mod.SNAPSHOT_FLAGS)
            raw.append(time.perf_counter() - start)
            parent = ref
        # What an image snapshot must do first: copy the whole chain.
        dest = os.path.join(vm.dir, 'full-copy.qcow2')
        start = time.perf_counter()
        subprocess.run(['qemu-img', 'convert', '-U', '-O', 'qcow2',
                        parent.path, dest], check=True)
        full = time.perf_counter() - start
    finally:
        vm.close()
    return {'disk_gib': size // GiB, 'written_gib': written / GiB,
            'engine_create': summary(engine),
            'libvirt_call': summary(raw),
            'overhead_ratio': round(statistics.median(engine) /
                                    statistics.median(raw), 2),
            'full_copy_s': round(full, 2),
            'full_copy_vs_create': round(full / statistics.median(engine))}


def bench_delete(base_data, delta):
    vm = BenchDomain(8 * GiB, base_data)
    try:
        # Deleting the oldest snapshot folds the layer above it (the delta)
        # into the base image: an intermediate blockCommit.
        vm.host.domain(vm.name).create('base', 'off')
        vm.hmp_write(0, delta)
        vm.host.domain(vm.name).create('delta', 'off')
        vm.hmp_write(delta, 1 * MiB)
        handle = vm.host.domain(vm.name)
        start = time.perf_counter()
        handle.delete('base')
        elapsed = time.perf_counter() - start
        kinds = [s.kind for s in handle.steps]
    finally:
        vm.close()
    return {'base_data_mib': base_data // MiB, 'delta_mib': delta // MiB,
            'delete_s': round(elapsed, 2), 'steps': kinds,
            'delta_mib_per_s': round(delta / MiB / elapsed, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='bench')
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--quick', action='store_true',
                        help='small sizes, for a smoke run')
    args = parser.parse_args(argv)
    os.makedirs(domains.TEST_DIR, exist_ok=True)
    written = 64 * MiB if args.quick else GiB
    result = {'machine': machine(),
              'date': datetime.datetime.now(
                  datetime.timezone.utc).isoformat(timespec='seconds'),
              'create': [], 'delete': []}
    for size in (GiB, 16 * GiB):
        row = bench_create(size, written, args.rounds)
        result['create'].append(row)
        print('create  disk %2d GiB, %.2f GiB written: engine median %6.1f '
              'ms p95 %6.1f ms | libvirt call %6.1f ms (ratio %.2f) | full '
              'copy %6.1f s (%dx)' % (
                  row['disk_gib'], row['written_gib'],
                  row['engine_create']['median_ms'],
                  row['engine_create']['p95_ms'],
                  row['libvirt_call']['median_ms'], row['overhead_ratio'],
                  row['full_copy_s'], row['full_copy_vs_create']),
              flush=True)
    big = 256 * MiB if args.quick else 4 * GiB
    for base_data in (64 * MiB, big):
        row = bench_delete(base_data, 64 * MiB)
        result['delete'].append(row)
        print('delete  64 MiB delta on a base with %5d MiB: %5.2f s '
              '(%s, %.0f MiB/s)' % (row['base_data_mib'], row['delete_s'],
                                    '+'.join(row['steps']),
                                    row['delta_mib_per_s']), flush=True)
    os.makedirs(RESULTS, exist_ok=True)
    out = os.path.join(RESULTS, 'snapshots-%s.json' % time.strftime(
        '%Y%m%dT%H%M%S'))
    with open(out, 'w') as handle:
        json.dump(result, handle, indent=1)
    print('wrote %s' % out)


if __name__ == '__main__':
    main()
