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

"""Snapshots made beside light snapshots, with virsh or any libvirt client.

An external snapshot without libvirt's metadata (``--no-metadata``) is
only a deeper backing chain: light snapshots build on whatever image is
active. Libvirt's own snapshots (its metadata: external or internal) are
not: libvirt reverts and deletes them by itself, and since libvirt 9.9
that includes external ones, merging or discarding the images light
snapshots are made of. A domain that has any is refused, with what to
run; what libvirt can do is read from its capabilities, never from its
version number.
"""

from xml.etree import ElementTree

import libvirt

from nova_lightsnap.engine import errors


def libvirt_manages_external_snapshots(conn):
    """Whether this libvirt reverts and deletes external snapshots itself:
    ``<externalSnapshot/>`` among a guest's features in its capabilities."""
    caps = ElementTree.fromstring(conn.getCapabilities())
    return caps.find('guest/features/externalSnapshot') is not None


def _kind(snap):
    """'external' or 'internal' (libvirt's kinds of a disk snapshot)."""
    xml = ElementTree.fromstring(snap.getXMLDesc(0))
    kinds = {d.get('snapshot') for d in xml.findall('disks/disk')}
    memory = xml.find('memory')
    if 'external' in kinds or (memory is not None and
                               memory.get('snapshot') == 'external'):
        return 'external'
    return 'internal'


def refuse_libvirt_snapshots(conn, dom, name):
    """InvalidState when libvirt keeps snapshots of the domain."""
    try:
        snaps = dom.listAllSnapshots(0)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
            return
        raise
    if not snaps:
        return
    listed = sorted((s.getName(), _kind(s)) for s in snaps)
    manages_external = libvirt_manages_external_snapshots(conn)
    advice = []
    for snap_name, kind in listed:
        if kind == 'internal':
            advice.append('virsh snapshot-delete %s %s' % (name, snap_name))
        elif manages_external:
            advice.append('virsh snapshot-delete %s %s (merges it), or '
                          'with --metadata (keeps its images in the chain)'
                          % (name, snap_name))
        else:
            advice.append('virsh snapshot-delete %s %s --metadata (its '
                          'images stay in the chain)' % (name, snap_name))
    raise errors.InvalidState(
        'domain %s has libvirt snapshots (%s); libvirt reverts and deletes '
        'those by itself, which would discard or break light snapshots. '
        'Nothing was changed; remove them first: %s; then retry'
        % (name, ', '.join('%s: %s' % item for item in listed),
           '; '.join(advice)))


def chain_advice(name, target, running):
    """What to run when a disk's active image is not the one the metadata
    names, after an external snapshot taken outside light snapshots."""
    if running:
        return ('if an external snapshot was taken outside light snapshots '
                '(virsh snapshot-create-as --disk-only --no-metadata), merge '
                'it back with: virsh blockcommit %s %s --active --shallow '
                '--pivot; then retry' % (name, target))
    return ('if an external snapshot was taken outside light snapshots, '
            'merge it back (qemu-img commit on its image) and point the '
            'disk at the image the metadata expects (virsh edit %s); then '
            'retry' % name)
