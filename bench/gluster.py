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

"""Create and delete latencies on a gluster (libgfapi) network disk, and
how much of them is libgfapi's connection set-up and teardown; a domain's
start and stop with the volume's owner left to libvirt and kept by it."""

import subprocess

from bench import common
from nova_lightsnap.engine import images
from nova_lightsnap.engine import merge
from nova_lightsnap.gluster import gfapi
from tests.support import domains


def connection_cost(ref):
    """One libgfapi client from connect to exit, as qemu-img pays it."""
    local, _ = common.timed(subprocess.run, [
        'qemu-img', 'info', '-U', '/dev/null'], )
    remote, _ = common.timed(subprocess.run, [
        'qemu-img', 'info', '-U', ref.url], )
    vol = gfapi.Volume(domains.GLUSTER_HOST, domains.GLUSTER_VOLUME)
    connect, _ = common.timed(vol.connect)
    close, _ = common.timed(vol.close)
    return {'qemu_img_info_local_s': round(local, 2),
            'qemu_img_info_gluster_s': round(remote, 2),
            'gfapi_connect_s': round(connect, 3),
            'gfapi_fini_s': round(close, 2)}


def start_stop(kind):
    """Seconds to start and to stop (destroy) a domain whose one disk is a
    gluster image: 'gluster', owner labelled by libvirt, or 'volume', as
    our volume driver attaches it (libvirt told to keep the owner)."""
    vm = common.BenchDomain(common.GiB, running=False, kind=kind)
    try:
        start, _ = common.timed(vm.dom.create)
        stop, _ = common.timed(vm.dom.destroy)
    finally:
        vm.close()
    return {'start_s': round(start, 1), 'stop_s': round(stop, 1)}


def run(rounds=3):
    owners = {kind: start_stop(kind) for kind in ('gluster', 'volume')}
    vm = common.BenchDomain(common.GiB, 64 * common.MiB, kind='volume')
    try:
        creates = [common.timed(vm.handle().create, 'g%d' % i, 'off')[0]
                   for i in range(rounds)]
        # Delete the oldest: an intermediate commit on the network disk.
        handle = vm.handle()
        delete, _ = common.timed(handle.delete, 'g0')
        # Then the bare calls, which leave the chain as lightsnap never
        # would: no engine operation may follow on this domain.
        parent = vm.handle()._disks()['vda'].active.ref
        overlay, raw = [], []
        for i in range(rounds):
            ref = parent.sibling('%s-raw%d.qcow2' % (vm.name, i))
            overlay.append(common.timed(images.create_overlay, ref,
                                        parent.basename, 'qcow2',
                                        common.GiB)[0])
            xml = merge.snapshot_xml({'vda': ref})
            flags = merge.SNAPSHOT_FLAGS | merge.ATOMIC_FLAG
            raw.append(common.timed(vm.dom.snapshotCreateXML, xml,
                                    flags)[0])
            parent = ref
        cost = connection_cost(vm.ref)
    finally:
        vm.close()
    row = {'engine_create': common.summary(creates),
           'overlay_via_cached_gfapi': common.summary(overlay),
           'libvirt_snapshot_call': common.summary(raw),
           'delete_oldest_s': round(delete, 2),
           'delete_steps': [s.kind for s in handle.steps],
           'start_stop_owner_by_libvirt': owners['gluster'],
           'start_stop_owner_kept': owners['volume']}
    row.update(cost)
    lines = [
        'gluster network disk (libgfapi)',
        '  create: engine %.0f ms median = overlay via our cached libgfapi '
        'connection %.0f ms + libvirt snapshotCreateXML %.0f ms' % (
            row['engine_create']['median_ms'],
            row['overlay_via_cached_gfapi']['median_ms'],
            row['libvirt_snapshot_call']['median_ms']),
        '  delete of the oldest snapshot (%s): %.1f s' % (
            '+'.join(row['delete_steps']), row['delete_oldest_s']),
        '  one libgfapi client: qemu-img info %.1f s on gluster vs %.2f s '
        'local; in-process connect %.3f s, glfs_fini %.1f s' % (
            row['qemu_img_info_gluster_s'], row['qemu_img_info_local_s'],
            row['gfapi_connect_s'], row['gfapi_fini_s']),
        '  start / stop (destroy): %.1f / %.1f s with the owner labelled by '
        'libvirt, %.1f / %.1f s with the owner kept' % (
            owners['gluster']['start_s'], owners['gluster']['stop_s'],
            owners['volume']['start_s'], owners['volume']['stop_s'])]
    return row, lines
