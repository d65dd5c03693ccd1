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

"""The operations on one domain's light snapshots: create, delete, revert,
commit-all, export and its flags.

Each runs under DomainSnapshots.operation() and journals its intent before
it touches a disk; recovery.py reads the same journal.
"""

import dataclasses

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import journal
from nova_lightsnap.engine import layout
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import quiesce
from nova_lightsnap.engine import state
from nova_lightsnap import names


@dataclasses.dataclass
class PreparedSnapshot:
    """A create that has its overlays but has not switched the disks yet."""
    name: str
    overlays: dict  # target -> ImageRef
    running: bool
    quiesced: bool = False
    # (uid, gid) the overlays were given: libvirt's image label of the
    # running domain, which libvirt then has no need to chown them to.
    owner: tuple = None


class Operations:
    """The public operations of DomainSnapshots (see domain.py)."""

    def list(self):
        """Snapshots, oldest first, from the metadata alone."""
        return state.describe(self.state_file.load())

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
        overlays = {t: d.ref(layout.overlay_name(d.root.basename, index))
                    for t, d in st.disks.items()}
        st.journal = journal.Create(
            name=name,
            overlays={t: r.basename for t, r in overlays.items()},
            parents={t: d.active for t, d in st.disks.items()},
            created_at=state.now_iso(), set=set_name)
        self._save(st)
        running = self._running()
        prepared = PreparedSnapshot(
            name, overlays, running,
            owner=chain.dac_image_owner(self._xml()) if running else None)
        try:
            for target, ref in overlays.items():
                dstate = st.disks[target]
                images.create_overlay(ref, dstate.active,
                                      dstate.formats[dstate.active],
                                      self._capacity(dstate),
                                      owner=prepared.owner)
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
                merge.take_snapshot(
                    self.dom, merge.snapshot_xml(
                        refs, uncovered, owned=prepared.owner is not None),
                    atomic=True)
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
        st.journal.quiesced = prepared.quiesced
        self._commit_switch(st, st.journal)
        st.journal = None
        self._save(st)
        return state.describe(st)[-1]

    def _default_name(self, st):
        base = state.now().strftime('snap-%Y%m%dT%H%M%SZ')
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
        with self.operation(refuse_foreign=enabled is not False) as st:
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

    def _commit_switch(self, st, switch):
        """The metadata takes a switch that happened (create, revert)."""
        for target, basename in switch.overlays.items():
            dstate = st.disks[target]
            dstate.layers[basename] = switch.parents[target]
            dstate.formats[basename] = 'qcow2'
            dstate.active = basename
        if isinstance(switch, journal.Create):
            st.snapshots.append(state.Snapshot(
                name=switch.name, created_at=switch.created_at,
                layers=dict(switch.parents), quiesced=switch.quiesced,
                set=switch.set))

    def revert(self, name):
        names.check_snapshot_name(name)
        with self.operation() as st:
            snap = st.snapshot(name)
            index = st.next_index
            st.next_index += 1
            overlays = {t: d.ref(layout.overlay_name(d.root.basename, index))
                        for t, d in st.disks.items()}
            running = self._running()
            persistent = bool(self.dom.isPersistent())
            # A kept disk comes back as an overlay on the root image,
            # which holds still only while the domain is off.
            kept = {t: snap.kept[t] for t in overlays if t in snap.kept}
            # The domain starts again on overlays with the owner libvirt
            # gives its images, and libvirt is told so (chain.KEEP_OWNER).
            owner = chain.dac_image_owner(self._xml()) if running else None
            owned = () if owner is None else set(overlays) - set(kept)
            parents = {t: (st.disks[t].root.basename if t in kept
                           else snap.layers[t]) for t in overlays}
            st.journal = journal.Revert(
                name=name,
                overlays={t: r.basename for t, r in overlays.items()},
                parents=parents, was_running=running,
                xml=None if persistent else self._xml(), kept=kept)
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
                                              capacities[target],
                                              owner=owner)
            except BaseException:
                xml = st.journal.xml
                self.abort_create(st, PreparedSnapshot(name, overlays, False))
                if stopped:
                    self._start(persistent, xml)
                raise
            sources = {t: (r, 'qcow2') for t, r in overlays.items()}
            if persistent:
                self._redefine(sources, owned)
                if running and not stopped:
                    self.dom.destroy()
            else:
                xml = chain.set_disk_sources(st.journal.xml, sources,
                                             owned=owned)
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
