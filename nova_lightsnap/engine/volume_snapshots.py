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

"""Cinder's assisted volume snapshots (remotefs drivers) on one libvirt domain.

Cinder's remotefs drivers (NFS, GlusterFS, Quobyte, ...) keep a volume as a
qcow2 chain of files in the volume's directory and ask Nova, through
``os-assisted-volume-snapshots``, to switch or merge the chain of an
attached volume. The contract, as Nova's ``LibvirtDriver`` keeps it:

* create: ``new_file`` is an overlay Cinder has already made on top of the
  current active image (relative backing name); the disk is switched to it
  with an external, disk-only snapshot that reuses the file.
* delete: ``merge_target_file`` None means a pull (``blockRebase``) into the
  active image, with ``file_to_merge`` the new backing file of the active
  image, or None to pull the whole chain (the active image then stands
  alone); otherwise ``file_to_merge`` is committed (``blockCommit``) into
  ``merge_target_file`` below it. Cinder removes the merged file afterwards.

What differs from Nova's code: the ``vda[N]`` names come from the ``index``
attributes of the live XML (Nova's ``vda[0]`` for the active image is
refused by libvirt >= 6); the relative flags are passed whenever a base is
given; a job ends in success, failure or cancel and the code knows which
(block-job events and the live XML), with a timeout that cancels it; a
shut-off domain is handled with qemu-img, also for gluster:// images and
intermediate commits; and every file name is a plain name in the volume's
own directory (or gluster volume) that must be in the disk's chain, checked
before libvirt is asked anything.

No Nova import: the driver adapts Nova's objects and exceptions.
"""

import copy
import dataclasses
import logging
import os
import urllib.parse
from xml.etree import ElementTree

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.engine import settle
from nova_lightsnap import names

LOG = logging.getLogger(__name__)

# 'netfs' is what Nova's code and tests still call a network file system
# disk after gluster support was removed in Pike; it is parsed like gluster
# (name='VOLUME/PATH' plus <host>) but no image tool can reach it.
NETWORK_PROTOCOLS = ('gluster', 'netfs')

PULL = merge.PULL
COMMIT = merge.COMMIT
COMMIT_ACTIVE = merge.COMMIT_ACTIVE
NOTHING = 'nothing'


# -- input --------------------------------------------------------------------

def check_create_info(create_info):
    """Cinder's ``create_info``; returns ``new_file``."""
    if not isinstance(create_info, dict):
        raise errors.InvalidInput('create_info must be an object')
    if create_info.get('type') != 'qcow2':
        raise errors.InvalidInput('Unknown type: %s' % create_info.get('type'))
    if create_info.get('snapshot_id') is None:
        raise errors.InvalidInput('snapshot_id required in create_info')
    return names.check_basename(create_info.get('new_file'), 'new_file')


def check_delete_info(delete_info):
    """Cinder's ``delete_info``; returns (file_to_merge, merge_target_file)."""
    if not isinstance(delete_info, dict):
        raise errors.InvalidInput('delete_info must be an object')
    if delete_info.get('type') != 'qcow2':
        raise errors.InvalidInput('Unknown delete_info type %s'
                                  % delete_info.get('type'))
    to_merge = delete_info.get('file_to_merge')
    target = delete_info.get('merge_target_file')
    if to_merge is not None:
        names.check_basename(to_merge, 'file_to_merge')
    if target is not None:
        names.check_basename(target, 'merge_target_file')
        if to_merge is None:
            raise errors.InvalidInput(
                'file_to_merge is required when merge_target_file is given')
    return to_merge, target


# -- the volume's disk in the domain XML --------------------------------------

@dataclasses.dataclass
class VolumeDisk:
    element: ElementTree.Element  # the <disk> element, as libvirt wrote it
    protocol: str | None  # network protocol, None for a file disk
    disk: chain.Disk

    @property
    def target(self):
        return self.disk.target


def _disk_elements(root):
    for disk_el in root.findall('./devices/disk'):
        target = disk_el.find('target')
        if target is not None and target.get('dev'):
            yield target.get('dev'), disk_el


def _serial(disk_el):
    serial = disk_el.findtext('serial')
    return serial.strip() if serial else None


def find_volume_disk(xml, volume_id):
    """The disk whose ``<serial>`` is ``volume_id``, with its chain.

    The chain (and libvirt's ``index`` of each image) comes from
    nova_lightsnap.chain, so it is only as fresh as ``xml``.
    """
    root = ElementTree.fromstring(xml)
    for target, disk_el in _disk_elements(root):
        if _serial(disk_el) == volume_id:
            return root, _parse_volume_disk(target, disk_el)
    raise errors.NotFound("Disk with id '%s' not found attached to instance."
                          % volume_id)


def _parse_volume_disk(target, disk_el):
    disk_type = disk_el.get('type')
    source = disk_el.find('source')
    protocol = None
    if disk_type == 'network' and source is not None:
        protocol = source.get('protocol')
    if source is None or not (disk_type == 'file' or
                              protocol in NETWORK_PROTOCOLS):
        raise errors.Unsupported(
            'disk %s is of type %r%s: assisted volume snapshots need a file '
            'disk or a network disk of protocol %s' % (
                target, disk_type,
                ' protocol %r' % protocol if protocol else '',
                ' or '.join(NETWORK_PROTOCOLS)))
    # nova_lightsnap.chain models the disks a snapshot covers; a volume is
    # snapshotted whatever its device or sharing, so those are normalised
    # on a copy, and netfs (shaped like gluster) is read as gluster.
    el = copy.deepcopy(disk_el)
    el.set('device', 'disk')
    for child in list(el):
        if child.tag in ('readonly', 'shareable'):
            el.remove(child)
    if protocol == 'netfs':
        for src in el.iter('source'):
            if src.get('protocol') == 'netfs':
                src.set('protocol', 'gluster')
    xml = ('<domain><devices>%s</devices></domain>'
           % ElementTree.tostring(el, encoding='unicode'))
    try:
        disks = chain.parse_disks(xml)
    except chain.UnsupportedDisk as exc:
        raise errors.Unsupported(str(exc)) from None
    if len(disks) != 1:
        raise errors.Unsupported('disk %s has no usable source' % target)
    return VolumeDisk(disk_el, protocol, disks[0])


# -- planning a delete --------------------------------------------------------

@dataclasses.dataclass
class Plan:
    kind: str  # PULL, COMMIT, COMMIT_ACTIVE or NOTHING
    top: chain.ImageRef | None  # None for a pull
    base: chain.ImageRef | None  # None: pull everything
    removed: list  # [ImageRef] that leave the chain

    def describe(self, target):
        if self.kind == PULL:
            return 'pull into the active image of %s above %s' % (
                target, self.base.url if self.base else 'the bottom')
        if self.kind == NOTHING:
            return 'nothing to merge on %s' % target
        return '%s of %s into %s on %s' % (
            self.kind, self.top.url, self.base.url, target)


def plan_delete(refs, target, file_to_merge, merge_target_file):
    """What Cinder's delete means on the chain ``refs`` (active first)."""
    active = refs[0]

    def position(name, what):
        ref = active.sibling(name)
        for i, candidate in enumerate(refs):
            if candidate == ref:
                return i
        raise errors.InvalidInput(
            '%s %r is not in the backing chain of disk %s (%s)'
            % (what, name, target, ' <- '.join(r.basename for r in refs)))

    if merge_target_file is None:
        if file_to_merge is None:
            if len(refs) == 1:
                return Plan(NOTHING, None, None, [])
            return Plan(PULL, None, None, refs[1:])
        base = position(file_to_merge, 'file_to_merge')
        if base == 0:
            raise errors.InvalidInput(
                'file_to_merge %r is the active image of disk %s: there is '
                'nothing above it to pull' % (file_to_merge, target))
        if base == 1:
            # Already the active image's backing file: a retried delete.
            return Plan(NOTHING, None, refs[1], [])
        return Plan(PULL, None, refs[base], refs[1:base])
    top = position(file_to_merge, 'file_to_merge')
    base = position(merge_target_file, 'merge_target_file')
    if base <= top:
        raise errors.InvalidInput(
            'merge_target_file %r is not below file_to_merge %r in the '
            'backing chain of disk %s' % (merge_target_file, file_to_merge,
                                          target))
    if base != top + 1:
        LOG.warning('merge of %s into %s on %s also merges %s',
                    file_to_merge, merge_target_file, target,
                    ', '.join(r.basename for r in refs[top + 1:base]))
    kind = COMMIT_ACTIVE if top == 0 else COMMIT
    return Plan(kind, refs[top], refs[base], refs[top:base])


# -- offline chains -----------------------------------------------------------

def _gluster_ref(url):
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme.startswith('gluster') or not parts.hostname:
        return None
    volume, _, path = urllib.parse.unquote(parts.path).lstrip('/').partition(
        '/')
    path = os.path.normpath(path).lstrip('/') if path else ''
    if not volume or not path or path.startswith('..'):
        return None
    return chain.ImageRef('gluster', path, host=parts.hostname,
                          port=parts.port or chain.GLUSTER_DEFAULT_PORT,
                          volume=volume)


def backing_ref(ref, entry):
    """The ImageRef of the backing file that qemu-img reports for ``ref``.

    None when the spelling is not one we can place (the image is then not
    nameable by Cinder's plain names anyway).
    """
    name = entry.get('backing-filename')
    if not name:
        return None
    if '/' not in name and ':' not in name:
        return ref.sibling(name)
    if ref.kind == 'file':
        full = entry.get('full-backing-filename') or name
        if full.startswith('/'):
            return chain.ImageRef('file', os.path.normpath(full))
        if ':' not in name:
            return chain.ImageRef('file', os.path.normpath(
                os.path.join(ref.dirname, name)))
        return None
    if name.startswith('gluster'):
        return _gluster_ref(name)
    full = entry.get('full-backing-filename') or ''
    if full.startswith('gluster'):
        return _gluster_ref(full)
    if ':' not in name:
        path = os.path.normpath(os.path.join(ref.dirname, name))
        if not path.startswith('..'):
            return dataclasses.replace(ref, path=path.lstrip('/'))
    return None


# -- the operations -----------------------------------------------------------

def _require_driver(dom, vdisk):
    if vdisk.disk.active.ref.kind == 'gluster':
        qemu_gluster.require(dom.name(), [vdisk.target])


def _give_libvirt_owner(new_ref, live_xml):
    """Whether Cinder's new gluster image now has the owner libvirt gives
    the domain's images (see images.give_owner)."""
    owner = chain.dac_image_owner(live_xml)
    return (new_ref.kind == 'gluster' and owner is not None and
            images.give_owner(new_ref, owner))


class VolumeSnapshots:
    """Assisted snapshots of the volumes of domains on one connection."""

    def __init__(self, conn, job_timeout=3600, use_events=True,
                 connect=None, give_owner=True):
        """``connect()`` returns a working connection after this one was
        lost (Nova's driver reconnects); by default ``conn`` is kept.
        ``give_owner``: Cinder's new gluster file of a running domain gets
        libvirt's owner from us, and libvirt is told to leave it."""
        self.conn = conn
        self.job_timeout = job_timeout
        self.use_events = use_events
        self.connect = connect or (lambda: conn)
        self.give_owner = give_owner

    # -- create ---------------------------------------------------------------

    def create(self, dom, volume_id, new_file, quiesce=False,
               quiesce_required=False):
        """Switch the volume's disk to Cinder's pre-created ``new_file``.

        ``quiesce``: freeze the guest's file systems through the guest agent
        (libvirt's QUIESCE flag: libvirt thaws, whatever happens); if that
        fails, ``quiesce_required`` fails the snapshot, otherwise it is taken
        again without. A shut-off domain needs no quiesce.
        """
        names.check_basename(new_file, 'new_file')
        running = bool(dom.isActive())
        live_xml = dom.XMLDesc(0)
        root, vdisk = find_volume_disk(live_xml, volume_id)
        _require_driver(dom, vdisk)
        active = vdisk.disk.active.ref
        new_ref = active.sibling(new_file)
        if vdisk.disk.find(new_ref) is not None:
            raise errors.InvalidInput(
                'new_file %r is already in the backing chain of disk %s'
                % (new_file, vdisk.target))
        if running:
            owned = self.give_owner and _give_libvirt_owner(new_ref,
                                                            live_xml)
            quiesced = self._snapshot_running(dom, root, vdisk, new_ref,
                                              owned, quiesce,
                                              quiesce_required)
        else:
            self._snapshot_offline(dom, vdisk, new_ref)
            quiesced = True
        LOG.info('volume %s (disk %s of %s) now writes to %s%s', volume_id,
                 vdisk.target, dom.name(), new_ref.url,
                 '' if quiesced else ' (not quiesced)')
        return {'disk': vdisk.target, 'active': new_ref.url,
                'quiesced': quiesced}

    @staticmethod
    def snapshot_xml(root, vdisk, new_ref, owned=False):
        """Our disk external on ``new_ref``, on the disk's own protocol and
        hosts; every other disk left alone. ``owned``: ``new_ref`` has the
        owner libvirt would give it."""
        network = None
        if new_ref.kind != 'file':
            hosts = [dict(host.attrib) for host in
                     vdisk.element.find('source').findall('host')]
            network = {vdisk.target: (vdisk.protocol, hosts)}
        others = [t for t, _ in _disk_elements(root) if t != vdisk.target]
        return merge.snapshot_xml({vdisk.target: new_ref}, others, network,
                                  owned=owned)

    def _snapshot_running(self, dom, root, vdisk, new_ref, owned, quiesce,
                          quiesce_required):
        xml = self.snapshot_xml(root, vdisk, new_ref, owned)
        if quiesce_required and not quiesce:
            raise errors.QuiesceFailed(
                'quiesce is required but the guest cannot be quiesced')
        if quiesce:
            try:
                merge.take_snapshot(dom, xml, quiesce=True)
                return True
            except libvirt.libvirtError as exc:
                # A thaw that fails after the switch is reported as a
                # failure; a retry would then snapshot new_file onto itself.
                if self._switched(dom, vdisk, new_ref, exc):
                    return True
                if quiesce_required:
                    raise errors.QuiesceFailed(
                        'could not quiesce %s for the snapshot of volume '
                        'disk %s, and the image requires it: %s'
                        % (dom.name(), vdisk.target,
                           exc.get_error_message())) from exc
                LOG.warning('Unable to create quiesced VM snapshot of %s (%s),'
                            ' attempting again with quiescing disabled.',
                            dom.name(), exc.get_error_message())
        try:
            merge.take_snapshot(dom, xml)
        except libvirt.libvirtError as exc:
            if self._switched(dom, vdisk, new_ref, exc):
                return False
            raise errors.LightSnapError(
                'libvirt refused the snapshot of disk %s of %s on %s: %s'
                % (vdisk.target, dom.name(), new_ref.url,
                   exc.get_error_message())) from exc
        return False

    def _switched(self, dom, vdisk, new_ref, exc):
        """Whether the disk runs on ``new_ref`` although libvirt reported
        ``exc``: a failed thaw after the switch, or a reply lost with the
        connection. Then the snapshot was taken, and Cinder must be told
        so, or it would take new_file, which the guest writes, for unused.
        """
        try:
            live = self.connect().lookupByUUIDString(dom.UUIDString())
            # A call whose reply was lost may still run in libvirtd.
            settle.settle(live, dom.name())
            disk = find_volume_disk(live.XMLDesc(0),
                                    _serial(vdisk.element))[1].disk
        except (libvirt.libvirtError, errors.LightSnapError) as read_exc:
            if isinstance(read_exc, libvirt.libvirtError):
                read_exc = read_exc.get_error_message()
            raise errors.LightSnapError(
                'the snapshot of disk %s on %s failed (%s), and its live XML '
                'cannot be read (%s) to tell whether the disk switched; '
                'check "virsh domblklist %s" before using or removing %s'
                % (vdisk.target, new_ref.url, exc.get_error_message(),
                   read_exc, dom.name(), new_ref.basename)) from exc
        if disk.active.ref != new_ref:
            return False
        LOG.warning('libvirt reported an error for the snapshot of disk %s '
                    'of %s (%s), but the disk already runs on %s: the '
                    'snapshot was taken', vdisk.target, dom.name(),
                    exc.get_error_message(), new_ref.url)
        return True

    def _snapshot_offline(self, dom, vdisk, new_ref):
        # libvirt probes the chain when the domain starts; a missing file
        # would only show then. (Not checked in a gluster volume.)
        if new_ref.kind == 'file' and not images.exists(new_ref):
            raise errors.NotFound(
                'new_file %s does not exist; Cinder creates it before asking '
                'for the snapshot' % new_ref.url)
        inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE |
                               libvirt.VIR_DOMAIN_XML_SECURE)
        self.conn.defineXML(chain.set_disk_sources(
            inactive, {vdisk.target: (new_ref, 'qcow2')}))

    # -- delete ---------------------------------------------------------------

    def delete(self, dom, volume_id, delete_info):
        """Merge per Cinder's ``delete_info`` (see the module docstring)."""
        to_merge, merge_target = check_delete_info(delete_info)
        running = bool(dom.isActive())
        _, vdisk = find_volume_disk(dom.XMLDesc(0), volume_id)
        _require_driver(dom, vdisk)
        if running:
            refs = [image.ref for image in vdisk.disk.chain]
            plan = plan_delete(refs, vdisk.target, to_merge, merge_target)
            if plan.kind != NOTHING:
                self._block_job(dom, volume_id, vdisk, plan)
        else:
            if vdisk.protocol == 'netfs':
                raise errors.Unsupported(
                    'disk %s is a netfs network disk and the domain is shut '
                    'off: no image tool can reach it; start the instance '
                    'and retry' % vdisk.target)
            formats = self._offline_chain(vdisk)
            refs = list(formats)
            plan = plan_delete(refs, vdisk.target, to_merge, merge_target)
            if plan.kind != NOTHING:
                self._offline(dom, vdisk, refs, formats, plan)
        LOG.info('volume %s of %s: %s done', volume_id, dom.name(),
                 plan.describe(vdisk.target))
        return {'disk': vdisk.target, 'job': plan.kind,
                'removed': [r.url for r in plan.removed]}

    # running domain: block jobs

    def _watcher(self):
        return blockjob.JobWatcher(self.conn if self.use_events
                                   else blockjob.NoEvents())

    def _block_job(self, dom, volume_id, vdisk, plan):
        watcher = self._watcher()
        try:
            merge.BlockJob(
                dom, plan.kind, vdisk.target, plan.base, plan.top,
                plan.removed,
                live=lambda: find_volume_disk(dom.XMLDesc(0),
                                              volume_id)[1].disk,
                what=plan.describe(vdisk.target), watcher=watcher,
                timeout=self.job_timeout,
                timeout_hint='Raise [lightsnap] volume_job_timeout for '
                             'this volume').run()
        finally:
            watcher.close()

    # shut-off domain: qemu-img

    def _offline_chain(self, vdisk):
        """{ImageRef: format}, active first, as qemu-img reads the headers.

        A shut-off domain's XML names the active image only.
        """
        active = vdisk.disk.active
        entries = images.info(active.ref, backing_chain=True)
        if isinstance(entries, dict):
            entries = [entries]
        formats = {active.ref: entries[0].get('format') or active.format}
        ref = active.ref
        for entry, below in zip(entries, entries[1:]):
            ref = backing_ref(ref, entry)
            if ref is None or ref in formats:
                break
            formats[ref] = below.get('format') or 'raw'
        return formats

    def _offline(self, dom, vdisk, refs, formats, plan):
        if plan.kind == PULL:
            merge.offline_pull(refs[0], formats[refs[0]], plan.base,
                               formats.get(plan.base))
            return
        children = ([refs[refs.index(plan.top) - 1]]
                    if plan.kind == COMMIT else [])
        merge.offline_commit(plan.top, plan.base, formats[plan.base],
                             children)
        if plan.kind == COMMIT_ACTIVE:
            inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE |
                                   libvirt.VIR_DOMAIN_XML_SECURE)
            self.conn.defineXML(chain.set_disk_sources(
                inactive, {vdisk.target: (plan.base, formats[plan.base])}))
