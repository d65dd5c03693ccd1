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

"""The backing-chain model of a domain's disks, parsed from libvirt XML.

libvirt (>= 6, -blockdev) numbers the images of a disk with ``index``
attributes that are node ids, not depths; they change with every block job.
They are read here from the live XML and used at once, never stored.
"""

import dataclasses
import os
import urllib.parse
from xml.etree import ElementTree

GLUSTER_DEFAULT_PORT = 24007

# libvirt's DAC driver left alone on a network overlay (issue 15): it would
# otherwise chown the image through libgfapi in a process forked into
# QEMU's mount namespace (qemuSecurityChownCallback, run by the DAC
# transaction), a libgfapi client and its ~10 s teardown per image, at the
# snapshot and again whenever a block job makes the image writable or
# read-only or drops it. Only for images that have the owner libvirt would
# give them: our overlays, made so, and a volume's images given it
# (engine.images.give_owner). libvirt (9.0 to 11.3) keeps this in memory
# only: it never writes a network source's seclabel into any XML, so after
# a libvirtd restart, or a definition read back and redefined, the chowns
# (correct, only slow) come back for those images.
KEEP_OWNER = "<seclabel model='dac' relabel='no'/>"


@dataclasses.dataclass(frozen=True)
class ImageRef:
    """Where one image file lives: a local file or a file in a gluster volume.

    ``path`` is absolute for files; for gluster it is the path inside the
    volume, without a leading slash, as libvirt's ``<source name=
    'VOLUME/PATH'>`` spells it after the volume.
    """

    kind: str  # 'file' | 'gluster'
    path: str
    host: str = ''
    port: int = 0
    volume: str = ''

    @property
    def basename(self):
        return os.path.basename(self.path)

    @property
    def dirname(self):
        return os.path.dirname(self.path)

    def sibling(self, basename):
        """The image called ``basename`` in this image's directory/volume."""
        return dataclasses.replace(
            self, path=os.path.join(self.dirname, basename))

    @property
    def url(self):
        """How qemu-img names this image."""
        if self.kind == 'file':
            return self.path
        return 'gluster://%s:%d/%s/%s' % (
            self.host, self.port, self.volume, urllib.parse.quote(self.path))

    @property
    def location(self):
        """The directory or volume-directory the image lives in, as a key."""
        if self.kind == 'file':
            return self.dirname
        return '%s:%d/%s/%s' % (self.host, self.port, self.volume,
                                self.dirname)

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


@dataclasses.dataclass
class Image:
    ref: ImageRef
    format: str
    index: int | None


@dataclasses.dataclass
class Disk:
    """One disk of a domain with its backing chain, active image first."""

    target: str
    device: str
    readonly: bool
    shareable: bool
    chain: list  # [Image], active first
    mirror: dict | None = None  # {'job': ..., 'ready': bool} during a job

    @property
    def active(self):
        return self.chain[0]

    def find(self, ref):
        for image in self.chain:
            if image.ref == ref:
                return image
        return None

    def index_name(self, ref):
        """The ``vda[N]`` name libvirt wants for ``ref``, from this XML."""
        image = self.find(ref)
        if image is None or image.index is None:
            return None
        return '%s[%d]' % (self.target, image.index)


class UnsupportedDisk(ValueError):
    pass


def _source_ref(disk_type, source):
    # libvirt spells a relative backing name resolved at the volume's top
    # as './name'; one image must have one spelling.
    if disk_type == 'file':
        return ImageRef('file', os.path.normpath(source.get('file')))
    if disk_type == 'network' and source.get('protocol') == 'gluster':
        volume, _, path = source.get('name', '').partition('/')
        path = os.path.normpath(path).lstrip('/')
        host = source.find('host')
        if host is None or not volume or not path:
            raise UnsupportedDisk('gluster disk without host or volume/path')
        return ImageRef('gluster', path, host=host.get('name'),
                        port=int(host.get('port') or GLUSTER_DEFAULT_PORT),
                        volume=volume)
    raise UnsupportedDisk('disk type %r%s is not supported' % (
        disk_type, ' protocol %r' % source.get('protocol')
        if source is not None and source.get('protocol') else ''))


def _index(element):
    value = element.get('index') if element is not None else None
    return int(value) if value is not None else None


def _parse_chain(disk_el):
    """Active image first, then each ``<backingStore>`` down to the bottom."""
    disk_type = disk_el.get('type')
    source = disk_el.find('source')
    driver = disk_el.find('driver')
    fmt = driver.get('type', 'raw') if driver is not None else 'raw'
    # The active image's index sits on <source>, a backing image's on its
    # <backingStore> element.
    chain = [Image(_source_ref(disk_type, source), fmt, _index(source))]
    node = disk_el.find('backingStore')
    while node is not None and node.get('type'):
        src = node.find('source')
        fmt_el = node.find('format')
        chain.append(Image(_source_ref(node.get('type'), src),
                           fmt_el.get('type') if fmt_el is not None
                           else 'raw', _index(node)))
        node = node.find('backingStore')
    return chain


def parse_disks(xml, include_unsupported=False):
    """The snapshottable disks of a domain XML, in target order.

    CD-ROMs, floppies, LUNs, read-only and shareable disks hold nothing a
    snapshot should capture and are left out. Disks of an unsupported type
    raise ``UnsupportedDisk`` so that no snapshot silently omits one.
    """
    root = ElementTree.fromstring(xml)
    disks = []
    for disk_el in root.findall('./devices/disk'):
        device = disk_el.get('device', 'disk')
        readonly = disk_el.find('readonly') is not None
        shareable = disk_el.find('shareable') is not None
        if device != 'disk' or readonly or shareable:
            continue
        target = disk_el.find('target').get('dev')
        if disk_el.find('source') is None:
            continue
        try:
            chain = _parse_chain(disk_el)
        except UnsupportedDisk as exc:
            if include_unsupported:
                continue
            raise UnsupportedDisk('disk %s: %s' % (target, exc)) from None
        mirror_el = disk_el.find('mirror')
        mirror = None
        if mirror_el is not None:
            mirror = {'job': mirror_el.get('job'),
                      'ready': mirror_el.get('ready') == 'yes'}
        disks.append(Disk(target, device, readonly, shareable, chain, mirror))
    return sorted(disks, key=lambda d: d.target)


def disk_targets(xml):
    """The target of every ``<disk>`` of a domain XML, of any device."""
    root = ElementTree.fromstring(xml)
    return [t.get('dev') for t in root.findall('./devices/disk/target')
            if t.get('dev')]


def _dac_ids(label):
    """``+UID:+GID`` as (uid, gid), or None."""
    parts = (label or '').split(':')
    if len(parts) == 2 and all(p.startswith('+') and p[1:].isdigit()
                               for p in parts):
        return int(parts[0][1:]), int(parts[1][1:])
    return None


def dac_image_owner(xml):
    """The (uid, gid) libvirt gives a running domain's images: its DAC
    security label's ``imagelabel`` (``+UID:+GID``), or None."""
    for seclabel in ElementTree.fromstring(xml).iterfind('seclabel'):
        if seclabel.get('model') == 'dac':
            owner = _dac_ids(seclabel.findtext('imagelabel'))
            if owner:
                return owner
    return None


def dac_base_owner(capabilities_xml, virt_type):
    """The (uid, gid) libvirt gives the images of a ``virt_type`` domain
    with the default (dynamic) DAC label: the host capabilities' DAC
    ``baselabel`` for that type, or None."""
    root = ElementTree.fromstring(capabilities_xml)
    for secmodel in root.iterfind('./host/secmodel'):
        if secmodel.findtext('model') != 'dac':
            continue
        for base in secmodel.iterfind('baselabel'):
            if base.get('type') == virt_type:
                return _dac_ids(base.text)
    return None


def domain_has_agent_channel(xml):
    root = ElementTree.fromstring(xml)
    for channel in root.findall('./devices/channel'):
        target = channel.find('target')
        if (target is not None and
                target.get('name') == 'org.qemu.guest_agent.0'):
            return True
    return False


def set_disk_sources(xml, sources, by_path=False, owned=()):
    """Point disks at new active images in a (persistent/inactive) XML.

    ``sources`` maps a target to an ``(ImageRef, format)`` pair; with
    ``by_path`` it maps the current source file instead (Nova's generated
    XML names the root disk's file, whatever its target in a rescue). The
    ``<backingStore>`` elements are dropped: libvirt probes the chain from
    the image headers when the domain starts. The network sources of the
    keys in ``owned`` say KEEP_OWNER: their new images have the owner
    libvirt would give them.
    """
    root = ElementTree.fromstring(xml)
    seen = set()
    for disk_el in root.findall('./devices/disk'):
        source = disk_el.find('source')
        if by_path:
            key = None if source is None else source.get('file')
        else:
            key = disk_el.find('target').get('dev')
        if key not in sources:
            continue
        ref, fmt = sources[key]
        seen.add(key)
        if ref.kind == 'file':
            source.set('file', ref.path)
        else:
            source.set('name', '%s/%s' % (ref.volume, ref.path))
            if key in owned:
                for seclabel in source.findall('seclabel'):
                    source.remove(seclabel)
                source.append(ElementTree.fromstring(KEEP_OWNER))
        for attr in ('index',):
            source.attrib.pop(attr, None)
        driver = disk_el.find('driver')
        if driver is not None:
            driver.set('type', fmt)
        for backing in disk_el.findall('backingStore'):
            disk_el.remove(backing)
    missing = set(sources) - seen
    if missing:
        raise ValueError('no disk %s in the domain XML' % ', '.join(
            sorted(missing)))
    return ElementTree.tostring(root, encoding='unicode')
