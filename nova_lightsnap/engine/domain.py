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

"""Light snapshots of one libvirt domain, running or shut off.

Every operation runs under the domain's lock, first finishes or rolls back
whatever a killed predecessor left in the journal, checks that the disks are
where the metadata says, and journals each step before it touches a disk.
"""

import contextlib
import logging
import os

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import collect
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import foreign
from nova_lightsnap.engine import images
from nova_lightsnap.engine import layout
from nova_lightsnap.engine import operations
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.engine import recovery
from nova_lightsnap.engine import settle
from nova_lightsnap.engine import state
from nova_lightsnap.engine import store

# Named here for the callers outside the engine (the Nova side, the API's
# compute endpoint) that know a domain's files through this module.
describe = state.describe
now_iso = state.now_iso
STATE_SUFFIX = layout.STATE_SUFFIX
store_dir = layout.store_dir
layer_index = layout.layer_index

LOG = logging.getLogger(__name__)


class DomainSnapshots(operations.Operations, recovery.Recovery, store.Store,
                      collect.Merges):
    """The operations on one domain. Not thread-safe; one per operation.

    This class holds what every part needs (where the metadata is, the
    libvirt views, the lock); the parts are operations.py, recovery.py,
    store.py and collect.py.
    """

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

    # -- where the metadata lives ---------------------------------------------

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
                                    self.uuid + layout.STATE_SUFFIX)
        # No local disk to sit beside: gluster-only domains keep their
        # metadata on the host.
        return os.path.join(self.engine.registry.states_dir,
                            self.uuid + layout.STATE_SUFFIX)

    @property
    def state_file(self):
        if self._state_file is None:
            self._state_file = state.StateFile(self._locate_state())
        return self._state_file

    # -- libvirt views --------------------------------------------------------

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

    # -- state, lock ----------------------------------------------------------

    def _adopt(self):
        disks = {}
        live = self._live_capacities()
        for target, disk in self._disks().items():
            image = disk.active
            capacity = live.get(target) or images.capacity(image.ref)
            disks[target] = state.DiskState(
                target=target, root=image.ref, capacity=capacity,
                layers={image.ref.basename: None},
                formats={image.ref.basename: image.format},
                active=image.ref.basename)
        if not disks:
            raise errors.Unsupported('domain %s has no disk that can have '
                                     'light snapshots' % self.name)
        return state.DomainState(uuid=self.uuid, name=self.name,
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
    def operation(self, refuse_foreign=True):
        """Lock the domain and yield its consistent, recovered state.
        ``refuse_foreign`` False: the operation (turning light snapshots
        off) touches no image, so it is harmless beside libvirt's own
        snapshots and needs no QEMU gluster driver."""
        os.makedirs(os.path.dirname(self.state_file.path), exist_ok=True)
        with self.state_file.locked(self.name, wait=self.lock_wait):
            self._check_not_saved()
            if refuse_foreign:
                # Before anything is adopted or written.
                foreign.refuse_libvirt_snapshots(self.conn, self.dom,
                                                 self.name)
            st = self.state_file.load()
            recovered = bool(st and st.journal)
            if recovered:
                # What a killed predecessor left running in libvirtd ends
                # before the chain is read (libvirt >= 10 makes even a read
                # of the XML wait for it).
                settle.settle(self.dom, self.name)
            if refuse_foreign:
                self._require_gluster_driver(st)
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
            if recovered:
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

    def _require_gluster_driver(self, st):
        """Refuse before any change when QEMU could not open the covered
        gluster disks (a merge, a revert's restart, an export)."""
        covered = self.targets or (frozenset(st.disks) if st else None)
        qemu_gluster.require(self.name, [
            d.target for d in chain.parse_disks(self._xml(),
                                                include_unsupported=True)
            if d.active.ref.kind == 'gluster' and
            (covered is None or d.target in covered)])

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
            if expected == actual:
                continue
            if not st.snapshots and not st.journal:
                # Nothing rests on the image adopted before: the one
                # active now (an external snapshot taken meanwhile) is.
                LOG.info('%s: disk %s is on %s now; adopted', self.name,
                         target, live.active.ref.url)
                st.disks = self._adopt().disks
                self._save(st)
                return
            raise errors.ChainMismatch(
                'disk %s of %s is on %s, but the light-snapshot metadata '
                '(%s) expects %s; the chain was changed outside lightsnap. '
                'Nothing was changed; %s'
                % (target, self.name, ' <- '.join(r.url for r in actual),
                   self.state_file.path,
                   ' <- '.join(r.url for r in expected),
                   foreign.chain_advice(self.name, target, running)))

    def _actives(self):
        return {t: d.active.ref for t, d in self._disks().items()}

    # -- domain definition ----------------------------------------------------

    def _redefine(self, sources, owned=()):
        """Point the persistent definition's disks at new images; ``owned``
        as chain.set_disk_sources takes it."""
        xml = chain.set_disk_sources(self._xml(inactive=True), sources,
                                     owned=owned)
        self.dom = self.conn.defineXML(xml)
