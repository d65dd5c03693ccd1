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

"""The store: the files of deleted snapshots kept, with the store on.

A stored snapshot's local disks each get a kept file in
``<uuid>.lightsnap-store/<snapshot>/`` beside the disk, backed by the kept
file of the nearest stored snapshot, never by a live layer: a merge may
write into those. Gluster layers stay in their volume.
"""

import contextlib
import logging
import os

from nova_lightsnap.engine import images
from nova_lightsnap.engine import layout

LOG = logging.getLogger(__name__)


class Store:
    """The store half of DomainSnapshots (see domain.py)."""

    def store_dir(self):
        return layout.store_dir(self.state_file.path, self.uuid)

    def _kept_ref(self, st, snap, target):
        return st.disks[target].ref(snap.kept[target])

    def _kept_backing(self, st, snap, target):
        """What a new kept file of ``snap`` is backed by, relative to its
        directory, and its format: the kept file of the nearest stored
        snapshot (older first), else what the root image is backed by, else
        nothing. Never a live layer: a merge may write into those."""
        dstate = st.disks[target]
        where = os.path.dirname(dstate.ref(
            layout.kept_name(self.uuid, snap.name, target,
                             snap.layers[target])).path)
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
                name = layout.kept_name(self.uuid, snap.name, target, layer)
                backing, backing_format = self._kept_backing(
                    st, snap, target)
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
        bases.update(os.path.join(d.root.dirname,
                                  self.uuid + layout.STORE_SUFFIX)
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
