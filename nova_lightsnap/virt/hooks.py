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

"""What the driver's lifecycle overrides do to light snapshots.

Nova regenerates the domain XML on hard reboot, power on, resize,
migration and rescue from the root disk's file name; the metadata beside
it says which overlay is really active. Resize and migrations fold the
overlays back first and carry the metadata along; spawn opts in; destroy
keeps the store if asked to; Nova's image snapshot goes through a
temporary light snapshot. An instance that never opted in has no
metadata, and every hook leaves it to Nova as it is.
"""

import contextlib
import os
import shutil
import uuid

from oslo_log import log as logging
from oslo_utils import strutils

from nova import exception
from nova.virt.libvirt import utils as libvirt_utils

import nova.conf

from nova_lightsnap import chain
from nova_lightsnap.engine import domain as domain_mod
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import state
from nova_lightsnap.virt import locator

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

# How a user or operator opts an instance in at boot.
ENABLE_METADATA = 'lightsnap_enable'
ENABLE_EXTRA_SPEC = 'lightsnap:enable'
KEPT_DIR = 'lightsnap-kept'


def _loaded(instance, field):
    """A field Nova already loaded, or None: never lazy-loaded, as the
    instance spawn gets may have no context to load it with."""
    return getattr(instance, field) if instance.obj_attr_is_set(
        field) else None


def requested_at_boot(instance):
    metadata = _loaded(instance, 'metadata') or {}
    flavor = _loaded(instance, 'flavor')
    specs = flavor.extra_specs if flavor else {}
    return (strutils.bool_from_string(metadata.get(ENABLE_METADATA)) or
            strutils.bool_from_string(specs.get(ENABLE_EXTRA_SPEC)))


class Hooks:
    """The light snapshots of the instances of one nova-compute, in Nova's
    lifecycle: ``host`` is the engine (virt.host.NovaHost), ``locator`` a
    virt.locator.Locator."""

    def __init__(self, host, instance_locator):
        self.host = host
        self.locator = instance_locator

    def domain(self, instance, lock_wait=0):
        """For hooks, which run under the compute manager's lock already."""
        located = self.locator.located(instance)
        return domain_mod.DomainSnapshots(
            self.host, located.dom, targets=located.targets,
            state_path=located.state_path, lock_wait=lock_wait)

    # -- the domain XML Nova generates ----------------------------------------

    def point_xml(self, instance, xml):
        """Nova's new domain XML with the root disk on the active overlay.

        After a move (resize, migration) the metadata is restarted here,
        on the destination: the root image holds everything and the
        directory may differ from the source's.
        """
        st = locator.load_state(instance)
        if st is None:
            return xml
        if st.committed:
            st = self._restart(instance)
        sources = {}
        for dstate in st.disks.values():
            if dstate.active != dstate.root.basename:
                sources[dstate.root.path] = (dstate.ref(dstate.active),
                                             dstate.formats[dstate.active])
        if not sources:
            return xml
        LOG.info('pointing the root disk at the light-snapshot overlay %s',
                 ', '.join(ref.path for ref, _ in sources.values()),
                 instance=instance)
        return chain.set_disk_sources(xml, sources, by_path=True)

    def _restart(self, instance):
        state_file = state.StateFile(locator.state_path(instance))
        with state_file.locked(instance.uuid):
            st = state_file.load()
            if not st.committed:
                return st
            here = locator.instance_dir(instance)
            for dstate in st.disks.values():
                root = dstate.root
                if root.kind == 'file':
                    root = chain.ImageRef('file', os.path.join(
                        here, root.basename))
                dstate.root = root
                dstate.layers = {root.basename: None}
                dstate.formats = {root.basename:
                                  dstate.formats.get(root.basename, 'qcow2')}
                dstate.active = root.basename
            # The stored snapshots came along in the store folder, kept
            # on their own: they stay, and stay revertible.
            st.snapshots = [s for s in st.snapshots if s.travels]
            st.journal, st.garbage = None, []
            st.committed = False
            state_file.save(st)
        self.host.registry.record_domain(instance.uuid, instance.name,
                                         state_file.path)
        LOG.info('light snapshots start over on this host after the move '
                 '(next index %d, %d stored)', st.next_index,
                 len(st.snapshots), instance=instance)
        return st

    def backing_disk_info(self, instance, disk_info):
        """Nova's disk_info for re-creating backing files, overlays replaced
        by the root disk: Nova would otherwise fetch the image from Glance
        under each overlay's backing file name."""
        if not any(domain_mod.layer_index(os.path.basename(info['path']))
                   for info in disk_info or ()):
            return disk_info  # no overlay: nothing of ours to read
        st = locator.load_state(instance)
        if st is None:
            return disk_info
        out, seen = [], set()
        for info in disk_info:
            name = os.path.basename(info['path'])
            dstate = next((d for d in st.disks.values()
                           if name in d.layers), None)
            if dstate is None:
                out.append(info)
                continue
            root = dstate.root.path
            if root in seen:
                continue
            seen.add(root)
            fmt = dstate.formats[dstate.root.basename]
            out.append(dict(
                info, path=root, type=fmt,
                backing_file=(libvirt_utils.get_disk_backing_file(root)
                              if fmt == 'qcow2' else '') or '',
                disk_size=os.path.getsize(root)))
        return out

    @contextlib.contextmanager
    def volume_snapshot_lock(self, instance, wait, cinder_wait):
        """The light-snapshot lock of the instance, around an assisted
        volume snapshot: a revert redefines and restarts the domain and
        merges run block jobs, and neither may overlap a volume snapshot.

        Waits ``wait`` seconds at most, then fails saying why: Cinder
        gives up after ``cinder_wait``. An instance that never opted in
        has no lock (and no light-snapshot operation to wait for).
        """
        path = locator.existing_state_path(instance)
        if path is None:
            yield
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(state.StateFile(path).locked(
                    instance.uuid, wait=wait))
            except errors.Busy as exc:
                raise errors.Busy(
                    '%s. The assisted volume snapshot waited %d s for it '
                    'and gives up, because Cinder stops waiting after '
                    '%d s: Cinder is told "error"; retry once the '
                    'light-snapshot operation is done' % (
                        str(exc).split(';')[0], wait, cinder_wait)) from None
            yield

    # -- lifecycle ------------------------------------------------------------

    def after_spawn(self, instance):
        if not requested_at_boot(instance):
            return
        try:
            self.domain(instance).set_flags(enabled=True)
        except errors.LightSnapError as exc:
            # The instance runs; only the opt-in failed. Say so, loudly.
            LOG.error('could not enable light snapshots: %s', exc,
                      instance=instance)
            return
        LOG.info('light snapshots enabled at boot', instance=instance)

    def commit_for_move(self, instance):
        """Fold every overlay back before a resize or migration."""
        st = locator.load_state(instance)
        if st is None:
            return None
        result = self.domain(instance).commit_all(committed=True)
        LOG.info('committed %d light snapshot(s) into the root disk before '
                 'the move', result['committed'], instance=instance)
        return result

    def check_live_migration(self, instance):
        # Stored snapshots travel in the store; the others would be
        # committed.
        st = locator.load_state(instance)
        live = [s for s in (st.snapshots if st else ()) if not s.stored]
        if live and CONF.lightsnap.live_migration == 'refuse':
            raise exception.MigrationPreCheckError(
                reason='instance %s has %d light snapshot(s) and '
                       '[lightsnap] live_migration is "refuse"; delete or '
                       'commit-all them first' % (instance.uuid, len(live)))

    def copy_state(self, instance, from_dir, dest):
        """Send the metadata and the store (the kept files of the stored
        snapshots) to the destination (None: this host, or shared
        storage)."""
        here = locator.state_path(instance)
        src = os.path.join(from_dir, os.path.basename(here))
        if not os.path.exists(src):
            return
        store = domain_mod.store_dir(src, instance.uuid)
        there = domain_mod.store_dir(here, instance.uuid)
        if os.path.isdir(store) and (dest is not None or
                                     os.path.realpath(store) !=
                                     os.path.realpath(there)):
            if dest is None:
                # A retried move: copy the source's store again.
                shutil.rmtree(there, ignore_errors=True)
            libvirt_utils.copy_image(store, os.path.dirname(here),
                                     host=dest)
        libvirt_utils.copy_image(src, here, host=dest)

    def after_live_migration(self, instance):
        if locator.load_state(instance) is not None:
            self._restart(instance)

    def before_destroy(self, instance, destroy_disks):
        """Keep the store if asked to; forget the instance on this host."""
        if not destroy_disks:
            return
        st = locator.load_state(instance)
        if st is None:
            return
        store = domain_mod.store_dir(locator.state_path(instance),
                                     instance.uuid)
        if CONF.lightsnap.keep_store_on_destroy and os.path.isdir(store):
            self._detach_store(store)
            kept = os.path.join(CONF.instances_path, KEPT_DIR, instance.uuid)
            os.makedirs(os.path.dirname(kept), exist_ok=True)
            shutil.move(store, kept)
            LOG.warning('kept the light-snapshot store of the deleted '
                        'instance in %s', kept, instance=instance)
        self.host.registry.forget_domain(instance.uuid)

    @staticmethod
    def _detach_store(store):
        """Kept files backed by something outside the store (Nova's image
        cache, which forgets an image no instance uses) hold all of it
        instead, so the store reads on its own wherever it goes."""
        inside = os.path.realpath(store) + os.sep
        for top, _, files in os.walk(store):
            for name in sorted(files):
                path = os.path.join(top, name)
                backing = images.info(chain.ImageRef('file', path)).get(
                    'full-backing-filename')
                if backing and not os.path.realpath(os.path.join(
                        top, backing)).startswith(inside):
                    images.rebase_safe(path, None, None)

    def image_snapshot(self, instance, out_path, image_format,
                       require_quiesce):
        """Nova's image snapshot through a temporary light snapshot.

        Upstream's live snapshot aborts any block job on the root disk and
        copies it with a shallow rebase that cannot follow relative backing
        names. Here it waits for a light-snapshot operation instead of
        aborting it, and exports the temporary snapshot's layer.
        """
        ds = self.domain(instance,
                         lock_wait=CONF.lightsnap.image_snapshot_wait)
        name = 'nova-image-%s' % uuid.uuid4().hex[:12]
        with ds.operation() as st:
            ds.create_in(st, name, 'required' if require_quiesce else 'auto')
            try:
                snap = st.snapshot(name)
                target, layer = next(iter(snap.layers.items()))
                images.export(st.disks[target].ref(layer), out_path,
                              fmt=image_format)
            finally:
                ds.delete_in(st, name, purge=True)
