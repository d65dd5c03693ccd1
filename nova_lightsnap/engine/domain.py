"""Light snapshots of one libvirt domain, running or shut off.

Every operation runs under the domain's lock, first finishes or rolls back
whatever a killed predecessor left in the journal, checks that the disks are
where the metadata says, and journals each step before it touches a disk.
"""

import contextlib
import dataclasses
import datetime
import logging
import os
import re

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import names
from nova_lightsnap.engine import planner
from nova_lightsnap.engine import quiesce
from nova_lightsnap.engine import settle
from nova_lightsnap.engine import state as state_mod

LOG = logging.getLogger(__name__)

SNAPSHOT_FLAGS = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)
STATE_SUFFIX = '.lightsnap.json'
STORE_SUFFIX = '.lightsnap-store'


def overlay_name(root_basename, index):
    stem = root_basename
    for ext in ('.qcow2', '.img', '.raw'):
        if stem.endswith(ext):
            stem = stem[:-len(ext)]
            break
    return '%s.ls%04d.qcow2' % (stem, index)


def store_dir(state_path, uuid):
    """``<uuid>.lightsnap-store/<snapshot>/<target>-<layer>`` beside the
    metadata: one folder per domain, so domains sharing a directory never
    touch each other's."""
    return os.path.join(os.path.dirname(state_path), uuid + STORE_SUFFIX)


def kept_name(uuid, snapshot, target, layer):
    """Where a stored snapshot's disk is kept, relative to the disk's
    directory (the instance directory for Nova, where the metadata is):
    the store moves with it."""
    return os.path.join(uuid + STORE_SUFFIX, snapshot,
                        '%s-%s' % (target, layer))


def layer_index(basename):
    """The file number of an overlay's name, None for other images."""
    match = re.search(r'\.ls(\d{4,})\.qcow2$', basename)
    return int(match.group(1)) if match else None


def snapshot_xml(overlays, uncovered=()):
    """``<domainsnapshot>`` naming a pre-created overlay for every covered
    disk, and ``snapshot='no'`` for the ``uncovered`` targets: libvirt
    gives an unlisted disk an external snapshot of its own naming."""
    parts = ['<domainsnapshot><disks>']
    for target in sorted(uncovered):
        parts.append("<disk name='%s' snapshot='no'/>" % _xml_attr(target))
    for target, ref in sorted(overlays.items()):
        if ref.kind == 'file':
            parts.append(
                "<disk name='%s' snapshot='external' type='file'>"
                "<driver type='qcow2'/><source file='%s'/></disk>"
                % (target, _xml_attr(ref.path)))
        else:
            parts.append(
                "<disk name='%s' snapshot='external' type='network'>"
                "<driver type='qcow2'/><source protocol='gluster' "
                "name='%s/%s'><host name='%s' port='%d'/></source></disk>"
                % (target, _xml_attr(ref.volume), _xml_attr(ref.path),
                   _xml_attr(ref.host), ref.port))
    parts.append('</disks></domainsnapshot>')
    return ''.join(parts)


def _xml_attr(value):
    return (value.replace('&', '&amp;').replace("'", '&apos;')
            .replace('<', '&lt;').replace('>', '&gt;'))


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def now_iso():
    return _now().isoformat(timespec='seconds')


@dataclasses.dataclass
class PreparedSnapshot:
    """A create that has its overlays but has not switched the disks yet."""
    name: str
    overlays: dict  # target -> ImageRef
    running: bool
    quiesced: bool = False


class DomainSnapshots:
    """The operations on one domain. Not thread-safe; one per operation."""

    def __init__(self, engine, dom, targets=None, state_path=None,
                 progress=None, lock_wait=0):
        """``targets``: the disks to cover (all by default; Nova: the root
        disk). ``state_path``: where the metadata lives (by default beside
        the first local disk). ``progress(what, percent)`` overrides the
        engine's callback; ``lock_wait`` is how long to wait for another
        operation on the domain before refusing.
        """
        self.engine = engine
        self.conn = engine.conn
        self.dom = dom
        self.uuid = dom.UUIDString()
        self.name = dom.name()
        self.targets = None if targets is None else frozenset(targets)
        self.progress = progress
        self.lock_wait = lock_wait
        self.reports = []  # what recovery did, for the caller to show
        self.steps = []  # the planner steps executed, in order
        self._state_path = state_path
        self._state_file = None

    # -- where the metadata lives -------------------------------------------

    def _locate_state(self):
        if self._state_path:
            return self._state_path
        entry = self.engine.registry.find_domain(self.uuid)
        if entry:
            return entry['state']
        for disk in chain.parse_disks(self._xml(), include_unsupported=True):
            if ((self.targets is None or disk.target in self.targets) and
                    disk.active.ref.kind == 'file'):
                return os.path.join(disk.active.ref.dirname,
                                    self.uuid + STATE_SUFFIX)
        # No local disk to sit beside: gluster-only domains keep their
        # metadata on the host.
        return os.path.join(self.engine.registry.states_dir,
                            self.uuid + STATE_SUFFIX)

    @property
    def state_file(self):
        if self._state_file is None:
            self._state_file = state_mod.StateFile(self._locate_state())
        return self._state_file

    # -- libvirt views ---------------------------------------------------------

    def _running(self):
        return bool(self.dom.isActive())

    def _xml(self, inactive=False):
        flags = libvirt.VIR_DOMAIN_XML_SECURE
        if inactive or not self._running():
            flags |= libvirt.VIR_DOMAIN_XML_INACTIVE
        return self.dom.XMLDesc(flags)

    def _disks(self):
        """The covered disks: ``targets``, or every disk of the domain
        until the metadata says which it covers."""
        xml = self._xml()
        if self.targets is not None:
            # Only these disks are covered: others may be of any type.
            absent = self.targets - set(chain.disk_targets(xml))
            if absent:
                raise errors.NotFound(
                    'domain %s has no disk %s; it has %s'
                    % (self.name, ', '.join(sorted(absent)),
                       ', '.join(chain.disk_targets(xml))))
            disks = {d.target: d for d in chain.parse_disks(
                xml, include_unsupported=True) if d.target in self.targets}
            missing = self.targets - set(disks)
            if missing:
                raise errors.Unsupported(
                    'disk %s of domain %s is not a file or gluster disk '
                    'that can have light snapshots'
                    % (', '.join(sorted(missing)), self.name))
            return disks
        try:
            return {d.target: d for d in chain.parse_disks(xml)}
        except chain.UnsupportedDisk as exc:
            raise errors.Unsupported(
                'domain %s: %s; only file and gluster disks can have light '
                'snapshots: name the disks to cover (lightsnap create '
                '--disk)' % (self.name, exc)) from None

    def _cover(self, st):
        """From now on the disks are those the metadata covers; another
        choice is taken only while no snapshot depends on the first."""
        covered = frozenset(st.disks)
        if self.targets is None or self.targets == covered:
            self.targets = covered
            return
        if st.snapshots or st.journal:
            raise errors.InvalidInput(
                'the light snapshots of domain %s cover disk %s, not %s; '
                'delete them or commit-all before covering other disks'
                % (self.name, ', '.join(sorted(covered)),
                   ', '.join(sorted(self.targets))))
        st.disks = self._adopt().disks
        self._save(st)

    def _live_capacities(self):
        """Disk sizes as QEMU reports them, {} when the domain is off.

        Bulk stats come from QEMU itself; ``blockInfo`` would make libvirtd
        open a gluster image through libgfapi and pay its slow teardown.
        """
        if not self._running():
            return {}
        try:
            stats = self.conn.domainListGetStats(
                [self.dom], libvirt.VIR_DOMAIN_STATS_BLOCK)[0][1]
        except (libvirt.libvirtError, IndexError) as exc:
            LOG.debug('block stats of %s: %s', self.name, exc)
            return {}
        return {stats['block.%d.name' % i]: int(stats['block.%d.capacity'
                                                      % i])
                for i in range(stats.get('block.count', 0))
                if 'block.%d.capacity' % i in stats}

    def _capacity(self, dstate):
        """The disk's current size: a resize shows in the running domain."""
        live = self._live_capacities().get(dstate.target)
        if live:
            dstate.capacity = live
        return dstate.capacity

    # -- state, lock, recovery -----------------------------------------------

    def _adopt(self):
        disks = {}
        live = self._live_capacities()
        for target, disk in self._disks().items():
            image = disk.active
            capacity = live.get(target) or images.capacity(image.ref)
            disks[target] = state_mod.DiskState(
                target=target, root=image.ref, capacity=capacity,
                layers={image.ref.basename: None},
                formats={image.ref.basename: image.format},
                active=image.ref.basename)
        if not disks:
            raise errors.Unsupported('domain %s has no disk that can have '
                                     'light snapshots' % self.name)
        return state_mod.DomainState(uuid=self.uuid, name=self.name,
                                     next_index=1, disks=disks, snapshots=[])

    def _save(self, st):
        self.state_file.save(st)

    def _check_not_saved(self):
        # A managed-save image (Nova's suspend) restores the disks named in
        # the saved XML: switching them now would resume the guest on a
        # read-only layer.
        try:
            saved = self.dom.hasManagedSaveImage(0)
        except libvirt.libvirtError:
            saved = False
        if saved:
            raise errors.InvalidState(
                'domain %s is suspended (it has a managed save image); '
                'resume it first' % self.name)

    @contextlib.contextmanager
    def operation(self):
        """Lock the domain and yield its consistent, recovered state."""
        os.makedirs(os.path.dirname(self.state_file.path), exist_ok=True)
        with self.state_file.locked(self.name, wait=self.lock_wait):
            self._check_not_saved()
            st = self.state_file.load()
            if st is None:
                st = self._adopt()
                self._save(st)
            self._cover(st)
            registry = self.engine.registry
            entry = registry.find_domain(self.uuid)
            if entry is None or entry['name'] != self.name:
                # A wiped state directory or a renamed domain: ``list``
                # without libvirt must still find the metadata.
                registry.record_domain(self.uuid, self.name,
                                       self.state_file.path)
            recovered = bool(st.journal)
            if recovered:
                # What a killed predecessor left running in libvirtd ends
                # before recovery reads the chain.
                settle.settle(self.dom, self.name)
                self._recover(st)
            self._empty_garbage(st)
            self._check_chain(st)
            # A stored snapshot whose keep was cut off (or stored by an
            # earlier version, hard-linked) is kept now.
            self._keep(st)
            if recovered:
                # A finished revert leaves the old active image unneeded.
                self._collect(st)
            yield st

    def _report(self, message):
        LOG.warning('%s: %s', self.name, message)
        self.reports.append(message)

    def _empty_garbage(self, st):
        if not st.garbage:
            return
        for ref in list(st.garbage):
            images.remove(ref)
        st.garbage = []
        self._save(st)

    def _check_chain(self, st):
        disks = self._disks()
        running = self._running()
        for target, dstate in st.disks.items():
            live = disks[target]
            expected = [dstate.ref(n) for n in
                        dstate.path_to_root(dstate.active)]
            actual = [i.ref for i in live.chain[:len(expected)]]
            if not running:
                expected, actual = expected[:1], actual[:1]
            if expected != actual:
                raise errors.ChainMismatch(
                    'disk %s of %s is on %s, but the light-snapshot metadata '
                    '(%s) expects %s; the chain was changed outside '
                    'lightsnap' % (target, self.name,
                                   ' <- '.join(r.url for r in actual),
                                   self.state_file.path,
                                   ' <- '.join(r.url for r in expected)))

    def _actives(self):
        return {t: d.active.ref for t, d in self._disks().items()}

    def _recover(self, st):
        journal = st.journal
        op = journal['op']
        if op in ('create', 'revert'):
            self._recover_switch(st, journal)
        elif op == 'merge':
            self._recover_merge(st, journal)
        else:
            raise errors.LightSnapError('unknown journal entry %r in %s'
                                        % (op, self.state_file.path))
        st.journal = None
        self._save(st)

    def _recover_switch(self, st, journal):
        """A create or revert was cut off: finish it if the disks switched."""
        new = {t: st.disks[t].ref(b) for t, b in journal['overlays'].items()}
        if journal.get('xml') and not self._defined():
            # A transient domain destroyed for a revert: bring it back on
            # the disks it ran on, then decide as for any other domain.
            self.dom = self.conn.createXML(journal['xml'], 0)
        actives = self._actives()
        switched = [t for t in new if actives.get(t) == new[t]]
        if len(switched) == len(new):
            self._commit_switch(st, journal)
            self._report('finished the %s of %r that was interrupted'
                         % (journal['op'], journal['name']))
        elif not switched:
            self._undefine_overlays(st, new)
            for target, ref in new.items():
                images.remove(ref)
                if target in journal.get('kept', {}):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(images.staging_path(ref))
            self._report('rolled back the %s of %r that was interrupted; '
                         'nothing changed' % (journal['op'], journal['name']))
        else:
            raise errors.ChainMismatch(
                'the interrupted %s of %r switched disks %s but not the '
                'others; fix the domain XML by hand (see %s)'
                % (journal['op'], journal['name'], ', '.join(switched),
                   self.state_file.path))
        if journal.get('was_running') and not self._running():
            self.dom.create()
            self._report('started %s again' % self.name)

    def _undefine_overlays(self, st, new):
        """A revert cut between its defineXML and the domain's restart
        leaves the definition on overlays that are about to go."""
        if not self._running() or not self.dom.isPersistent():
            return
        defined = {d.target: d.active.ref for d in chain.parse_disks(
            self._xml(inactive=True))}
        back = {t: (st.disks[t].ref(st.disks[t].active),
                    st.disks[t].formats[st.disks[t].active])
                for t, ref in new.items() if defined.get(t) == ref}
        if back:
            self._redefine(back)

    def _defined(self):
        try:
            self.dom = self.conn.lookupByUUIDString(self.uuid)
            return True
        except libvirt.libvirtError:
            return False

    def _commit_switch(self, st, journal):
        for target, basename in journal['overlays'].items():
            dstate = st.disks[target]
            parent = journal['parents'][target]
            dstate.layers[basename] = parent
            dstate.formats[basename] = 'qcow2'
            dstate.active = basename
        if journal['op'] == 'create':
            st.snapshots.append(state_mod.Snapshot(
                name=journal['name'], created_at=journal['created_at'],
                layers=dict(journal['parents']),
                quiesced=journal.get('quiesced', False),
                set=journal.get('set')))

    def _recover_merge(self, st, journal):
        step = planner.Step(**journal['step'])
        dstate = st.disks[step.target]
        if self._running() and step.kind != planner.OFFLINE_COMMIT:
            self._settle_job(step)
            live = self._disks()[step.target]
            done = all(live.find(dstate.ref(n)) is None
                       for n in step.removed)
        else:
            done = (step.top == dstate.active and
                    self._actives()[step.target] == dstate.ref(step.base))
        if done:
            self._finish_step(st, step)
            self._report('finished the interrupted merge (%s)'
                         % step.describe())
        else:
            self._report('the merge (%s) was interrupted before it took '
                         'effect; nothing was lost, it is retried'
                         % step.describe())

    def _settle_job(self, step):
        """Let a block job that outlived its caller end, one way or another."""
        target = step.target
        if not self.dom.blockJobInfo(target, 0):
            return
        # An active commit never ends by itself: it is pivoted once ready,
        # also when its process died before the copy caught up.
        active = step.kind == planner.COMMIT_ACTIVE
        result = self.engine.watcher.wait_end(
            self.dom, target, self.engine.job_timeout, active=active,
            ready=lambda: self._mirror_ready(target))
        if result is None:
            blockjob.cancel(self.dom, target)
        elif active:
            self._report('pivoted the active commit of %s that was left '
                         'running' % target)

    # -- public operations ---------------------------------------------------

    def list(self):
        """Snapshots, oldest first, from the metadata alone."""
        return describe(self.state_file.load())

    def create(self, name=None, quiesce_mode='auto'):
        quiesce.check_mode(quiesce_mode)
        if name is not None:
            names.check_snapshot_name(name)
        with self.operation() as st:
            return self.create_in(st, name, quiesce_mode)

    def create_in(self, st, name, quiesce_mode):
        prepared = self.prepare_create(st, name)
        try:
            with quiesce.frozen(self.dom, quiesce_mode) as frozen:
                self.take(prepared)
            prepared.quiesced = frozen or not prepared.running
        except BaseException:
            self.abort_create(st, prepared)
            raise
        return self.finish_create(st, prepared)

    def prepare_create(self, st, name, set_name=None):
        if name is None:
            name = self._default_name(st)
        if st.has_snapshot(name):
            raise errors.InvalidInput('domain %s already has a snapshot '
                                      'named %r' % (self.name, name))
        index = st.next_index
        st.next_index += 1
        overlays = {t: d.ref(overlay_name(d.root.basename, index))
                    for t, d in st.disks.items()}
        st.journal = {
            'op': 'create', 'name': name,
            'overlays': {t: r.basename for t, r in overlays.items()},
            'parents': {t: d.active for t, d in st.disks.items()},
            'created_at': now_iso(),
            'set': set_name,
        }
        self._save(st)
        prepared = PreparedSnapshot(name, overlays, self._running())
        try:
            for target, ref in overlays.items():
                dstate = st.disks[target]
                images.create_overlay(ref, dstate.active,
                                      dstate.formats[dstate.active],
                                      self._capacity(dstate))
        except BaseException:
            self.abort_create(st, prepared)
            raise
        return prepared

    def take(self, prepared):
        """Switch every disk to its overlay, atomically."""
        refs = prepared.overlays
        if prepared.running:
            uncovered = set(chain.disk_targets(self._xml())) - set(refs)
            try:
                self.dom.snapshotCreateXML(snapshot_xml(refs, uncovered),
                                           SNAPSHOT_FLAGS)
            except libvirt.libvirtError as exc:
                raise errors.LightSnapError(
                    'libvirt refused the snapshot of %s: %s'
                    % (self.name, exc.get_error_message())) from None
        else:
            self._redefine({t: (r, 'qcow2') for t, r in refs.items()})

    def abort_create(self, st, prepared):
        if prepared.running:
            # A failed or lost snapshotCreateXML may still have switched
            # the disks; QEMU would then write into removed files.
            try:
                actives = self._actives()
            except libvirt.libvirtError:
                actives = None
            if actives is None or any(actives.get(t) == r for t, r in
                                      prepared.overlays.items()):
                self._report('the snapshot %r may have been taken; the '
                             'next lightsnap operation on %s finishes or '
                             'rolls it back' % (prepared.name, self.name))
                return
        try:
            for ref in prepared.overlays.values():
                images.remove(ref)
        except errors.LightSnapError as exc:
            # Keep the journal, and the caller's own error in front.
            self._report('the overlays of %r are left (%s); the next '
                         'lightsnap operation on %s removes them'
                         % (prepared.name, exc, self.name))
            return
        st.journal = None
        self._save(st)

    def finish_create(self, st, prepared):
        st.journal['quiesced'] = prepared.quiesced
        self._commit_switch(st, st.journal)
        st.journal = None
        self._save(st)
        return describe(st)[-1]

    def _default_name(self, st):
        base = _now().strftime('snap-%Y%m%dT%H%M%SZ')
        name, n = base, 1
        while st.has_snapshot(name):
            n += 1
            name = '%s-%d' % (base, n)
        return name

    def delete(self, name, purge=False):
        """Delete a snapshot; with the store on, keep it as 'stored'.

        ``purge`` deletes a stored snapshot for good (or skips the store).
        """
        names.check_snapshot_name(name)
        with self.operation() as st:
            return self.delete_in(st, name, purge=purge)

    def delete_in(self, st, name, purge=False):
        snap = st.snapshot(name)
        if st.store and not purge and not snap.stored:
            # Marked first: until each disk's kept file is recorded, its
            # layer keeps the name, and a cut-off keep is done again.
            snap.stored = True
            self._save(st)
            self._keep(st)
            self._collect(st)
            return {'deleted': name, 'stored': True}
        if snap.stored:
            self._unkeep(st, snap)
        st.snapshots.remove(snap)
        self._save(st)
        self._collect(st)
        return {'deleted': name, 'stored': False}

    def set_flags(self, enabled=None, store=None):
        """Change the per-domain flags; adopts the domain if need be."""
        with self.operation() as st:
            if enabled is False and st.snapshots:
                raise errors.InvalidState(
                    'domain %s still has %d light snapshot(s); delete them '
                    'or commit-all before disabling'
                    % (self.name, len(st.snapshots)))
            if enabled is not None:
                st.enabled = enabled
            if store is not None:
                st.store = store
            self._save(st)
            return st

    # -- the store -----------------------------------------------------------

    def store_dir(self):
        return store_dir(self.state_file.path, self.uuid)

    def _kept_ref(self, st, snap, target):
        return st.disks[target].ref(snap.kept[target])

    def _kept_backing(self, st, snap, target):
        """What a new kept file of ``snap`` is backed by, relative to its
        directory, and its format: the kept file of the nearest stored
        snapshot (older first), else what the root image is backed by, else
        nothing. Never a live layer: a merge may write into those."""
        dstate = st.disks[target]
        where = os.path.dirname(dstate.ref(
            kept_name(self.uuid, snap.name, target, snap.layers[target])).path)
        position = st.snapshots.index(snap)
        kept = [(abs(i - position) + (0.5 if i > position else 0), other)
                for i, other in enumerate(st.snapshots)
                if other is not snap and target in other.kept]
        if kept:
            other = min(kept, key=lambda item: item[0])[1]
            return (os.path.relpath(self._kept_ref(st, other, target).path,
                                    where), 'qcow2')
        root = images.info(dstate.root)
        name = root.get('backing-filename')
        if not name:
            return None, None
        if not os.path.isabs(name):
            name = os.path.relpath(os.path.join(dstate.root.dirname, name),
                                   where)
        return name, root.get('backing-filename-format') or 'raw'

    def _keep(self, st):
        """Give every stored snapshot's local disks their kept file.

        Each disk is recorded once its kept file is complete; only then
        does its layer lose the name and may be merged away.
        """
        for snap in st.snapshots:
            if not snap.stored:
                continue
            for target, layer in sorted(snap.layers.items()):
                dstate = st.disks[target]
                if target in snap.kept or dstate.root.kind != 'file':
                    continue
                name = kept_name(self.uuid, snap.name, target, layer)
                backing, backing_format = self._kept_backing(st, snap,
                                                              target)
                LOG.info('%s: keeping %s of stored snapshot %r in the store',
                         self.name, target, snap.name)
                images.keep(dstate.ref(name), dstate.ref(layer),
                            dstate.formats[layer], backing, backing_format)
                snap.kept[target] = name
                self._save(st)

    def _unkeep(self, st, snap):
        """Before ``snap``'s kept files go: rebase the kept files backed by
        them onto what they are backed by. Content-preserving at every
        moment, so one cut off leaves every kept file valid."""
        for target in sorted(snap.kept):
            ref = self._kept_ref(st, snap, target)
            if not os.path.exists(ref.path):
                continue
            mine = images.info(ref)
            for other in st.snapshots:
                if other is snap or target not in other.kept:
                    continue
                child = self._kept_ref(st, other, target)
                backing = images.info(child).get('full-backing-filename')
                if not backing or not os.path.exists(backing) or \
                        not os.path.samefile(backing, ref.path):
                    continue
                LOG.info('%s: rebasing the kept %s of %r off %r', self.name,
                         target, other.name, snap.name)
                images.rebase_safe(child.path,
                                   mine.get('backing-filename'),
                                   mine.get('backing-filename-format'))

    def _sync_store(self, st):
        """Remove from the store what no stored snapshot keeps (purged
        snapshots, cut-off keeps). Gluster layers stay in their volume,
        in the live chain, named in the metadata only."""
        wanted = {self._kept_ref(st, snap, target).path
                  for snap in st.snapshots for target in snap.kept}
        bases = {self.store_dir()}
        bases.update(os.path.join(d.root.dirname, self.uuid + STORE_SUFFIX)
                     for d in st.disks.values() if d.root.kind == 'file')
        for base in bases:
            if not os.path.isdir(base):
                continue
            for snap_dir in os.listdir(base):
                folder = os.path.join(base, snap_dir)
                for entry in os.listdir(folder):
                    path = os.path.join(folder, entry)
                    if path not in wanted:
                        os.unlink(path)
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
            with contextlib.suppress(OSError):
                os.rmdir(base)

    def revert(self, name):
        names.check_snapshot_name(name)
        with self.operation() as st:
            snap = st.snapshot(name)
            index = st.next_index
            st.next_index += 1
            overlays = {t: d.ref(overlay_name(d.root.basename, index))
                        for t, d in st.disks.items()}
            running = self._running()
            persistent = bool(self.dom.isPersistent())
            # A kept disk comes back as an overlay on the root image,
            # which holds still only while the domain is off.
            kept = {t: snap.kept[t] for t in overlays if t in snap.kept}
            parents = {t: (st.disks[t].root.basename if t in kept
                           else snap.layers[t]) for t in overlays}
            st.journal = {
                'op': 'revert', 'name': name,
                'overlays': {t: r.basename for t, r in overlays.items()},
                'parents': parents, 'was_running': running,
                'xml': None if persistent else self._xml(),
                'kept': kept,
            }
            self._save(st)
            capacities = {t: self._capacity(st.disks[t]) for t in overlays}
            stopped = bool(kept) and running
            if stopped:
                self.dom.destroy()
            try:
                for target, ref in overlays.items():
                    dstate = st.disks[target]
                    parent = parents[target]
                    if target in kept:
                        images.overlay_from_kept(
                            ref, dstate.ref(kept[target]), parent,
                            dstate.formats[parent])
                    else:
                        images.create_overlay(ref, parent,
                                              dstate.formats[parent],
                                              capacities[target])
            except BaseException:
                xml = st.journal['xml']
                self.abort_create(st, PreparedSnapshot(name, overlays, False))
                if stopped:
                    self._start(persistent, xml)
                raise
            sources = {t: (r, 'qcow2') for t, r in overlays.items()}
            if persistent:
                self._redefine(sources)
                if running and not stopped:
                    self.dom.destroy()
            else:
                xml = chain.set_disk_sources(st.journal['xml'], sources)
                if not stopped:
                    self.dom.destroy()
            self._commit_switch(st, st.journal)
            if running:
                self._start(persistent, xml if not persistent else None)
            st.journal = None
            self._save(st)
            self._collect(st)
            return {'reverted': name, 'running': running}

    def _start(self, persistent, xml):
        if persistent:
            self.dom.create()
        else:
            self.dom = self.conn.createXML(xml, 0)

    def commit_all(self, committed=False):
        """Fold every layer into the root image; ``committed`` marks the
        domain for a move (resize, migration): the next start re-adopts.

        A move keeps the stored snapshots whose every disk is kept in the
        store: nothing of theirs is in the live chain, and the store moves
        with the instance directory. Otherwise the store goes too.
        """
        with self.operation() as st:
            keep = [s for s in st.snapshots if committed and s.travels]
            count = len(st.snapshots) - len(keep)
            st.snapshots = keep
            self._save(st)
            self._collect(st)
            st.root_index = st.next_index - 1
            st.committed = committed
            self._save(st)
            return {'committed': count,
                    'disks': {t: d.ref(d.active).url
                              for t, d in st.disks.items()}}

    def export(self, name, target, dest):
        names.check_snapshot_name(name)
        with self.operation() as st:
            snap = st.snapshot(name)
            if target not in snap.layers:
                raise errors.NotFound('snapshot %r has no disk %r; it has %s'
                                      % (name, target,
                                         ', '.join(sorted(snap.layers))))
            ref = st.layer_ref(snap, target)
            images.export(ref, dest, progress=self._progress(
                'export %s %s' % (name, target)))
            return {'exported': name, 'disk': target, 'to': dest}

    # -- merging ---------------------------------------------------------------

    def _progress(self, what):
        callback = self.progress or self.engine.progress
        if callback is None:
            return None
        return lambda pct: callback(what, pct)

    def _collect(self, st):
        """Drop every layer that no name, branch or the disk still needs."""
        while True:
            running = self._running()
            step = None
            for target in sorted(st.disks):
                dstate = st.disks[target]
                sizes = {n: images.allocated(dstate.ref(n))
                         for n in dstate.layers}
                step = planner.next_step(dstate, st.named_layers(target),
                                         running, sizes)
                if step:
                    break
            if step is None:
                self._sync_store(st)
                return
            LOG.info('%s: %s', self.name, step.describe())
            self.steps.append(step)
            if step.kind == planner.REMOVE:
                self._finish_step(st, step)
                continue
            st.journal = {'op': 'merge', 'step': dataclasses.asdict(step)}
            self._save(st)
            if step.kind == planner.OFFLINE_COMMIT:
                self._offline_commit(st, step)
            else:
                self._block_job(st, step)
            self._finish_step(st, step)

    def _finish_step(self, st, step):
        dstate = st.disks[step.target]
        if step.kind == planner.COMMIT:
            self._rebase_branches(dstate, step)
        st.garbage.extend(dstate.ref(n) for n in step.removed)
        if step.kind != planner.REMOVE and step.survivor == \
                dstate.root.basename:
            # The root holds what the merged run's top held.
            index = layer_index(step.top)
            if index is not None:
                st.root_index = index
        # A kept disk's layer name is history; only live names follow.
        planner.apply(dstate, step, [s for s in st.snapshots
                                     if step.target not in s.kept])
        st.journal = None
        self._save(st)
        self._empty_garbage(st)

    def _rebase_branches(self, dstate, step):
        """A live commit rewrites the backing name of the child in the live
        chain only; a branch a revert left on the merged layer still names
        it. Its content is the same in the base now. Idempotent, so a
        recovered merge does it again safely."""
        live = self._disks()[step.target] if self._running() else None
        for child in dstate.children(step.top):
            ref = dstate.ref(child)
            if live is not None and live.find(ref) is not None:
                continue
            images.rebase_unsafe(ref, step.base, dstate.formats[step.base])

    def _offline_commit(self, st, step):
        dstate = st.disks[step.target]
        base = dstate.ref(step.base)
        images.commit(dstate.ref(step.top), base,
                      progress=self._progress(step.describe()))
        for child in dstate.children(step.top):
            images.rebase_unsafe(dstate.ref(child), step.base,
                                 dstate.formats[step.base])
        if step.top == dstate.active:
            self._redefine({step.target: (base, dstate.formats[step.base])})

    def _block_job(self, st, step):
        dstate = st.disks[step.target]
        target = step.target
        live = self._disks()[target]

        def index(basename):
            name = live.index_name(dstate.ref(basename))
            if name is None:
                raise errors.ChainMismatch(
                    'image %s is not in the live chain of %s %s'
                    % (basename, self.name, target))
            return name

        watcher = self.engine.watcher
        watcher.clear(self.dom, target)
        bandwidth = self.engine.job_bandwidth
        try:
            if step.kind == planner.COMMIT:
                self.dom.blockCommit(
                    target, index(step.base), index(step.top), bandwidth,
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
            elif step.kind == planner.PULL:
                self.dom.blockRebase(
                    target, index(dstate.layers[step.base]), bandwidth,
                    libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE)
            else:
                self.dom.blockCommit(
                    target, index(step.base), None, bandwidth,
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE |
                    libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
        except libvirt.libvirtError as exc:
            raise errors.BlockJobFailed(
                '%s: libvirt refused the job: %s'
                % (step.describe(), exc.get_error_message())) from None

        result = watcher.wait_end(
            self.dom, target, self.engine.job_timeout,
            active=step.kind == planner.COMMIT_ACTIVE,
            progress=self._progress(step.describe()),
            ready=lambda: self._mirror_ready(target))
        if result is None:
            blockjob.cancel(self.dom, target)
            st.journal = None
            self._save(st)
            raise errors.BlockJobFailed(
                '%s did not finish within %d s and was cancelled; nothing '
                'changed. Retry with a longer --timeout'
                % (step.describe(), self.engine.job_timeout))

        after = self._disks()[target]
        left = [n for n in step.removed if after.find(dstate.ref(n))]
        if left or (step.kind == planner.COMMIT_ACTIVE and
                    after.active.ref != dstate.ref(step.base)):
            st.journal = None
            self._save(st)
            raise errors.BlockJobFailed(
                '%s ended as %s and the chain is unchanged (%s still in '
                'use); nothing was lost, see the libvirt log of %s'
                % (step.describe(), result, ', '.join(left) or step.top,
                   self.name))

    def _mirror_ready(self, target):
        disk = self._disks().get(target)
        if disk is not None and disk.mirror and disk.mirror['ready']:
            return blockjob.READY
        return None

    # -- domain definition -----------------------------------------------------

    def _redefine(self, sources):
        """Point the persistent definition's disks at new images."""
        xml = chain.set_disk_sources(self._xml(inactive=True), sources)
        self.dom = self.conn.defineXML(xml)


def describe(st):
    """The ``list`` view: oldest first, each disk's read-only image."""
    if st is None:
        return []
    out = []
    for snap in st.snapshots:
        out.append({
            'name': snap.name,
            'created_at': snap.created_at,
            'quiesced': snap.quiesced,
            'set': snap.set,
            'stored': snap.stored,
            'disks': {t: st.layer_ref(snap, t).url
                      for t in sorted(snap.layers)},
        })
    return out
