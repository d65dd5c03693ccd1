"""Light snapshots of Nova instances' root disks: the Nova side.

Maps an instance to the engine (its root disk only, its metadata in the
instance directory, Nova's per-instance lock) and holds what the driver's
lifecycle hooks do to light snapshots. Nova regenerates the domain XML on
hard reboot, power on, resize, migration and rescue from the root disk's
file name; the metadata beside it says which overlay is really active.
"""

import contextlib
import os
import shutil
import uuid as uuid_mod

from oslo_concurrency import lockutils
from oslo_log import log as logging
from oslo_utils import strutils

from nova.compute import vm_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova import utils
from nova.virt.libvirt import utils as libvirt_utils

import nova.conf

from nova_lightsnap import chain
from nova_lightsnap.compute import ops as ops_mod
from nova_lightsnap.engine import domain as domain_mod
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import images
from nova_lightsnap.engine import state as state_mod

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

# Nova's file name of the root disk for images_type qcow2, raw and flat.
ROOT_DISK = 'disk'
# How a user or operator opts an instance in at boot.
ENABLE_METADATA = 'lightsnap_enable'
ENABLE_EXTRA_SPEC = 'lightsnap:enable'
# Nova states in which the disks may be switched.
SNAPSHOT_VM_STATES = (vm_states.ACTIVE, vm_states.STOPPED, vm_states.PAUSED)
READ_ONLY_OPS = ('show',)
KEPT_DIR = 'lightsnap-kept'


def instance_dir(instance):
    return libvirt_utils.get_instance_path(instance)


def state_path(instance):
    return os.path.join(instance_dir(instance),
                        instance.uuid + domain_mod.STATE_SUFFIX)


def load_state(instance):
    """The instance's light-snapshot metadata; None if it never opted in.

    Some of Nova's own callers of the overridden methods pass a plain dict
    (its unit tests do), which Nova's code there never reads: it is not
    read here either.
    """
    path = _existing_state_path(instance)
    return None if path is None else state_mod.StateFile(path).load()


def _existing_state_path(instance):
    """The metadata file, None if the instance never opted in. A stat, not
    an open: on these paths Nova's own code reads no file (and its tests
    replace open())."""
    if isinstance(instance, dict):
        return None
    path = state_path(instance)
    return path if os.path.exists(path) else None


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


def nova_lock(uuid):
    """The lock the compute manager takes (``utils.synchronized(uuid)``)."""
    return lockutils.lock(uuid, lock_file_prefix='nova-')


class _NovaHost(host_mod.Host):
    """The engine on nova-compute's own libvirt connection."""

    def __init__(self, driver):
        super().__init__(state_dir=CONF.lightsnap.state_dir,
                         job_timeout=CONF.lightsnap.job_timeout,
                         job_bandwidth=CONF.lightsnap.merge_bandwidth,
                         use_events=utils.concurrency_mode_threading(),
                         event_loop=False)
        self._driver = driver

    @property
    def conn(self):
        # Nova reconnects after libvirtd restarts; always use its current
        # connection.
        return self._driver._host.get_connection()


class NovaInstances:
    """The light snapshots of the instances of one nova-compute."""

    def __init__(self, driver):
        self.driver = driver
        self.hostname = None  # nova-compute's host, known from init_host
        self.host = _NovaHost(driver)
        self.operations = ops_mod.InstanceOperations(
            self.host, self, CONF.lightsnap.export_dir)

    # -- finding an instance ---------------------------------------------

    def _instance(self, uuid):
        ctxt = nova_context.get_admin_context()
        try:
            return objects.Instance.get_by_uuid(ctxt, uuid,
                                                expected_attrs=['flavor'])
        except exception.InstanceNotFound:
            raise errors.NotFound('no instance %s' % uuid) from None

    def _root_target(self, instance, dom):
        root = os.path.join(instance_dir(instance), ROOT_DISK)
        # A shut-off domain's XML shows no backing chain: its root disk is
        # the one on Nova's file or on one of our layers.
        known = {root}
        st = load_state(instance)
        for dstate in (st.disks.values() if st else ()):
            known.update(dstate.ref(n).path for n in dstate.layers)
        xml = dom.XMLDesc(0)
        for disk in chain.parse_disks(xml, include_unsupported=True):
            if any(i.ref.kind == 'file' and i.ref.path in known
                   for i in disk.chain):
                return disk.target
        raise errors.Unsupported(
            'the root disk of instance %s is not the local file %s '
            '([libvirt] images_type qcow2, raw or flat); light snapshots '
            'cover local root disks only' % (instance.uuid, root))

    def locate(self, uuid, op):
        """ops.Locator: the domain, root disk, metadata and lock of uuid."""
        instance = self._instance(uuid)
        here = self.hostname or CONF.host
        if instance.host != here:
            raise errors.NotFound('instance %s is on host %s, not on %s'
                                  % (uuid, instance.host, here))
        if op not in READ_ONLY_OPS and (
                instance.vm_state not in SNAPSHOT_VM_STATES or
                instance.task_state is not None):
            raise errors.InvalidState(
                'instance %s is %s%s; light snapshots need it active, '
                'paused or stopped with no Nova task running; try again '
                'when it is' % (uuid, instance.vm_state,
                                ' (%s)' % instance.task_state
                                if instance.task_state else ''))
        return self._located(instance, lock=lambda: nova_lock(uuid))

    def _located(self, instance, lock=contextlib.nullcontext):
        try:
            dom = self.driver._host.get_guest(instance)._domain
        except exception.InstanceNotFound:
            raise errors.NotFound('instance %s has no domain on this host'
                                  % instance.uuid) from None
        return ops_mod.Located(dom, [self._root_target(instance, dom)],
                               state_path(instance), lock)

    def _domain(self, instance, lock_wait=0):
        """For hooks, which run under the compute manager's lock already."""
        located = self._located(instance)
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
        st = load_state(instance)
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
        state_file = state_mod.StateFile(state_path(instance))
        with state_file.locked(instance.uuid):
            st = state_file.load()
            if not st.committed:
                return st
            here = instance_dir(instance)
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
        st = load_state(instance)
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
        path = _existing_state_path(instance)
        if path is None:
            yield
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(state_mod.StateFile(path).locked(
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
            self._domain(instance).set_flags(enabled=True)
        except errors.LightSnapError as exc:
            # The instance runs; only the opt-in failed. Say so, loudly.
            LOG.error('could not enable light snapshots: %s', exc,
                      instance=instance)
            return
        LOG.info('light snapshots enabled at boot', instance=instance)

    def commit_for_move(self, instance):
        """Fold every overlay back before a resize or migration."""
        st = load_state(instance)
        if st is None:
            return None
        result = self._domain(instance).commit_all(committed=True)
        LOG.info('committed %d light snapshot(s) into the root disk before '
                 'the move', result['committed'], instance=instance)
        return result

    def check_live_migration(self, instance):
        # Stored snapshots travel in the store; the others would be
        # committed.
        st = load_state(instance)
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
        src = os.path.join(from_dir, os.path.basename(state_path(instance)))
        if not os.path.exists(src):
            return
        here = state_path(instance)
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
        if load_state(instance) is not None:
            self._restart(instance)

    def before_destroy(self, instance, destroy_disks):
        """Keep the store if asked to; forget the instance on this host."""
        if not destroy_disks:
            return
        st = load_state(instance)
        if st is None:
            return
        store = domain_mod.store_dir(state_path(instance), instance.uuid)
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
        ds = self._domain(instance,
                          lock_wait=CONF.lightsnap.image_snapshot_wait)
        name = 'nova-image-%s' % uuid_mod.uuid4().hex[:12]
        with ds.operation() as st:
            ds.create_in(st, name, 'required' if require_quiesce else 'auto')
            try:
                snap = st.snapshot(name)
                target, layer = next(iter(snap.layers.items()))
                images.export(st.disks[target].ref(layer), out_path,
                              fmt=image_format)
            finally:
                ds.delete_in(st, name, purge=True)
