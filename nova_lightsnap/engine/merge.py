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

"""Switching a disk to a new overlay, and merging layers of its chain.

The one place that talks to libvirt (or qemu-img) to change a backing
chain, for light snapshots (engine.snapshots) and Cinder's assisted volume
snapshots (engine.volume_snapshots) alike. Those decide *what* to do and
journal it; this module does it and says how it ended:

* ``take_snapshot``: an external, disk-only snapshot onto overlays that
  already exist (``snapshot_xml`` names them).
* ``BlockJob``: a block job on a running domain, started, followed (with
  its progress), pivoted (active commit), cancelled on timeout, and checked
  against the live XML afterwards: success, failure and cancel all look
  the same to ``blockJobInfo``, only the chain tells them apart.
* ``offline_commit``/``offline_pull``: the same merges with qemu-img, for a
  domain that is shut off (file and gluster images).

libvirt is reached only through ``DomainAdapter``, which lets through the
few virDomain calls a merge needs.
"""

import dataclasses
import logging
import typing

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import planner

LOG = logging.getLogger(__name__)

# One spelling of the jobs, shared with the planner.
PULL = planner.PULL  # blockRebase of the active image, REBASE_RELATIVE
COMMIT = planner.COMMIT  # intermediate blockCommit, COMMIT_RELATIVE
COMMIT_ACTIVE = planner.COMMIT_ACTIVE  # ACTIVE commit: wait ready, pivot

# The flags of every snapshot here: exactly what Nova's own
# _volume_snapshot_create passes (Guest.snapshot with no_metadata,
# disk_only, reuse_ext), so an assisted volume snapshot reaches libvirt as
# from Nova. A light snapshot switches several disks at once and adds
# ATOMIC (take_snapshot(atomic=True)): all or none, or libvirt refuses.
# A volume snapshot switches one disk and lists the others as
# snapshot='no', so ATOMIC would promise nothing there; and libvirt runs
# every external disk-only snapshot of a running QEMU as one 'transaction'
# anyway, the flag only makes it refuse where it could not.
SNAPSHOT_FLAGS = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT)
ATOMIC_FLAG = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
QUIESCE_FLAG = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE

# Seconds a vanished job waits for a late event before the live XML alone
# decides.
JOB_GONE_GRACE = blockjob.JOB_GONE_GRACE


class DomainAdapter:
    """A virDomain that answers only the calls a merge makes.

    Anything else is an AttributeError: what this module may do to a domain
    is written here, not spread over its callers (vdsm's DomainAdapter).
    """

    EXPOSED = frozenset((
        'UUIDString', 'name', 'isActive', 'XMLDesc',
        'snapshotCreateXML',
        'blockCommit', 'blockRebase', 'blockJobInfo', 'blockJobAbort',
    ))

    def __init__(self, dom):
        self._dom = dom

    def __getattr__(self, name):
        if name not in self.EXPOSED:
            raise AttributeError('a merge does not call virDomain.%s' % name)
        return getattr(self._dom, name)


# -- snapshots ----------------------------------------------------------------


def snapshot_xml(overlays, uncovered=(), network=None, owned=False):
    """``<domainsnapshot>`` naming a pre-created overlay for every covered
    disk, and ``snapshot='no'`` for the ``uncovered`` targets: libvirt
    gives an unlisted disk an external snapshot of its own naming.

    ``overlays``: target -> ImageRef. ``network``: target -> (protocol,
    [host attributes]) to repeat a network disk's own source (a volume's
    backup hosts, Nova's 'netfs'); by default a gluster ref names its host.
    ``owned``: the overlays already have the owner libvirt would give
    them (its image label, which images.create_overlay gave them), so
    libvirt is told not to chown a network overlay (chain.KEEP_OWNER).
    """
    network = network or {}
    parts = ['<domainsnapshot><disks>']
    for target in sorted(uncovered):
        parts.append("<disk name='%s' snapshot='no'/>" % _xml_attr(target))
    for target, ref in sorted(overlays.items()):
        if ref.kind == 'file':
            parts.append(
                "<disk name='%s' snapshot='external' type='file'>"
                "<driver type='qcow2'/><source file='%s'/></disk>"
                % (_xml_attr(target), _xml_attr(ref.path)))
            continue
        protocol, hosts = network.get(target) or (
            'gluster', [{'name': ref.host, 'port': str(ref.port)}])
        parts.append(
            "<disk name='%s' snapshot='external' type='network'>"
            "<driver type='qcow2'/><source protocol='%s' name='%s/%s'>"
            % (_xml_attr(target), _xml_attr(protocol),
               _xml_attr(ref.volume), _xml_attr(ref.path)))
        for host in hosts:
            parts.append('<host %s/>' % ' '.join(
                "%s='%s'" % (key, _xml_attr(value))
                for key, value in host.items()))
        if owned:
            parts.append(chain.KEEP_OWNER)
        parts.append('</source></disk>')
    parts.append('</disks></domainsnapshot>')
    return ''.join(parts)


def _xml_attr(value):
    return (value.replace('&', '&amp;').replace("'", '&apos;')
            .replace('<', '&lt;').replace('>', '&gt;'))


def take_snapshot(dom, xml, quiesce=False, atomic=False):
    """Switch the disks of the running ``dom`` as ``xml`` says; libvirt's
    error propagates (the caller knows what a failure may have left).
    ``quiesce``: libvirt freezes and thaws through the guest agent."""
    LOG.debug('snapshot XML: %s', xml)
    flags = SNAPSHOT_FLAGS
    if atomic:
        flags |= ATOMIC_FLAG
    if quiesce:
        flags |= QUIESCE_FLAG
    DomainAdapter(dom).snapshotCreateXML(xml, flags)


# -- block jobs on a running domain -------------------------------------------

@dataclasses.dataclass
class BlockJob:
    """One block job on ``target``, from its start to its checked end.

    ``kind``: PULL, COMMIT or COMMIT_ACTIVE. ``base``: the image that stays
    below: the new backing image of a pull (None: pull the whole chain),
    the image committed into otherwise. ``top``: the top of the merged
    run (only an intermediate commit names it to libvirt). ``removed``:
    the images that leave the chain. ``live()`` returns the disk
    (chain.Disk) as the live XML shows it now. ``timeout_hint`` ends the
    message of a job cancelled on timeout: how to give it longer.
    """
    dom: object  # virDomain, reached through DomainAdapter
    kind: str
    target: str
    base: object  # ImageRef or None
    top: object  # ImageRef or None
    removed: list
    live: typing.Callable
    what: str
    watcher: blockjob.JobWatcher
    timeout: float
    bandwidth: int = 0
    progress: typing.Callable | None = None
    timeout_hint: str = ''

    def __post_init__(self):
        self.dom = DomainAdapter(self.dom)

    def _index(self, disk, ref):
        """libvirt's ``vda[N]`` name of ``ref``, read from the live XML
        right now (node ids, not depths: never stored)."""
        if disk.find(ref) is None:
            raise errors.ChainMismatch(
                'image %s is not in the live chain of %s %s'
                % (ref.basename, self.dom.name(), self.target))
        name = disk.index_name(ref)
        if name is not None:
            return name
        if ref.kind == 'file':
            # A libvirt without -blockdev reports no index; it takes paths.
            return ref.path
        raise errors.Unsupported(
            'libvirt reports no index for %s in the chain of %s; network '
            'disks need libvirt >= 6' % (ref.url, self.target))

    def start(self):
        """Ask libvirt for the job; BlockJobFailed if it refuses."""
        disk = self.live()
        self.watcher.clear(self.dom, self.target)
        try:
            if self.kind == PULL and self.base is None:
                self.dom.blockRebase(self.target, None, self.bandwidth, 0)
            elif self.kind == PULL:
                self.dom.blockRebase(
                    self.target, self._index(disk, self.base),
                    self.bandwidth, libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE)
            elif self.kind == COMMIT:
                self.dom.blockCommit(
                    self.target, self._index(disk, self.base),
                    self._index(disk, self.top), self.bandwidth,
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
            else:
                self.dom.blockCommit(
                    self.target, self._index(disk, self.base), None,
                    self.bandwidth,
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
        except libvirt.libvirtError as exc:
            raise errors.BlockJobFailed(
                '%s: libvirt refused the job: %s'
                % (self.what, exc.get_error_message())) from exc

    def follow(self):
        """Wait for the job's end (an active commit: ready, then pivot);
        the end's name, or None on timeout.

        A libvirt error meanwhile (a failed pivot, a lost connection)
        cancels the job and raises BlockJobFailed, ``unchanged`` only if
        the live XML then shows the disk as it was.
        """
        try:
            return self.watcher.wait_end(
                self.dom, self.target, self.timeout,
                active=self.kind == COMMIT_ACTIVE, progress=self.progress,
                ready=self.ready, done=self._done,
                job_gone_grace=JOB_GONE_GRACE)
        except libvirt.libvirtError as exc:
            self.cancel()
            unchanged = self._unchanged()
            raise errors.BlockJobFailed(
                '%s: libvirt failed (%s); the job was cancelled and %s'
                % (self.what, exc.get_error_message(),
                   'nothing changed' if unchanged else
                   'the next operation finds out how it ended'),
                unchanged=unchanged) from exc

    def cancel(self):
        blockjob.cancel(self.dom, self.target)

    def ready(self):
        """READY once the live XML shows the active commit's mirror
        caught up (for a lost READY event)."""
        disk = self.live()
        if disk is not None and disk.mirror and disk.mirror['ready']:
            return blockjob.READY
        return None

    def _unchanged(self):
        """Whether the live chain is surely the one before the job."""
        try:
            disk = self.live()
        except (libvirt.libvirtError, errors.LightSnapError):
            return False
        return (disk.mirror is None and
                all(disk.find(ref) is not None for ref in self.removed) and
                (self.top is None or disk.find(self.top) is not None))

    def _done(self):
        return blockjob.COMPLETED if self.took_effect() else None

    def took_effect(self):
        """Whether the live chain is the one the job was to leave."""
        disk = self.live()
        if disk.mirror is not None:
            return False
        if any(disk.find(ref) is not None for ref in self.removed):
            return False
        return self.kind != COMMIT_ACTIVE or disk.active.ref == self.base

    def finish(self):
        """Follow the started job to its end and check it; BlockJobFailed
        (with the disk unchanged) on timeout, failure or cancel."""
        result = self.follow()
        if result is None:
            self.cancel()
            raise errors.BlockJobFailed(
                '%s did not finish within %d s and was cancelled; nothing '
                'changed. %s' % (self.what, self.timeout, self.timeout_hint))
        if not self.took_effect():
            disk = self.live()
            left = [r.basename for r in self.removed
                    if disk.find(r) is not None]
            raise errors.BlockJobFailed(
                '%s ended as %s and the chain is unchanged (%s still in '
                'use); nothing was lost, see the libvirt log of %s'
                % (self.what, result,
                   ', '.join(left) or (self.top or disk.active.ref).basename,
                   self.dom.name()))
        return result

    def run(self):
        self.start()
        return self.finish()


def settle_job(dom, target, watcher, timeout, active, ready):
    """Let a job that outlived its caller end, one way or another.

    An active commit never ends by itself: it is pivoted once ready, also
    when its process died before the copy caught up. Returns the end's
    name, None when there was no job or it was cancelled on timeout.
    """
    dom = DomainAdapter(dom)
    if not dom.blockJobInfo(target, 0):
        return None
    result = watcher.wait_end(dom, target, timeout, active=active,
                              ready=ready)
    if result is None:
        blockjob.cancel(dom, target)
    return result


# -- shut-off domain: qemu-img ------------------------------------------------

def offline_commit(top, base, base_format, children=(), progress=None):
    """Fold ``top`` (and what lies between) into ``base``, then point the
    images above ``top`` at ``base``.

    qemu-img commit -d leaves ``top`` as it was: a reader of a child sees
    the same data before and after its unsafe rebase. When ``top`` was the
    active image, the caller points the definition at ``base``.
    """
    images.commit(top, base, progress=progress)
    for child in children:
        images.rebase_unsafe(child, base.basename, base_format)


def offline_pull(active, active_format, base, base_format):
    """Copy into ``active`` what the layers between it and ``base`` hold
    (a safe rebase; ``base`` None: the whole chain, the image then stands
    alone). The backing name stays relative."""
    if base is None:
        images.qemu_img('rebase', '-q', '-f', active_format, '-b', '',
                        active.url)
    else:
        images.qemu_img('rebase', '-q', '-f', active_format,
                        '-F', base_format, '-b', base.basename, active.url)
