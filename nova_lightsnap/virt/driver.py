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

"""LightSnapLibvirtDriver: Nova's libvirt driver plus nova-lightsnap.

Loaded by nova-compute with ``compute_driver =
lightsnap.driver.LightSnapLibvirtDriver`` (through the shim package
``nova.virt.lightsnap``). A thin adapter: Nova's objects and exceptions on
one side, the libvirt-only code of nova_lightsnap on the other. What it
changes in Nova's behaviour:

* Assisted volume snapshots (``os-assisted-volume-snapshots``, Cinder's
  remotefs drivers): the same outer contract as Nova (status to Cinder,
  connection info refreshed, quiesce per ``hw_qemu_guest_agent`` and
  ``os_require_quiesce``), the disk work done by
  nova_lightsnap.engine.volume_snapshots: gluster network disks again,
  libvirt's indices from the live XML, waited jobs that end known,
  qemu-img for a shut-off domain, file names that cannot leave the volume.
* ``driver_volume_type: glusterfs`` volumes attach again
  (nova_lightsnap.virt.volume.glusterfs).
* Light snapshots of root disks (nova_lightsnap.virt.hooks) for the
  instances that opt in: the regenerated domain XML points at the active
  overlay; resize and migrations fold the overlays back first; the image
  snapshot waits for a merge instead of aborting it; an RPC endpoint on
  topic ``lightsnap`` serves the lightsnap API.

Everything else, and everything for an instance that has not opted in, is
Nova's own LibvirtDriver. The private methods of Nova's it overrides, and
the private names it uses, are in nova_lightsnap.virt.nova_private, checked
when the driver is built.
"""

from oslo_log import log as logging
from oslo_service import loopingcall
from oslo_utils import excutils
from oslo_utils import importutils

import nova.conf
from nova import exception
from nova.i18n import _
from nova import rpc as nova_rpc
from nova import utils
from nova.virt import event as virtevent
from nova.virt.libvirt import utils as libvirt_utils

from nova_lightsnap.compute import endpoint
from nova_lightsnap.compute import manager
from nova_lightsnap.conf import lightsnap as lightsnap_conf
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap.virt import hooks
from nova_lightsnap.virt import host as host_mod
from nova_lightsnap.virt import locator
from nova_lightsnap.virt import nova_private

CONF = nova.conf.CONF
lightsnap_conf.register_opts(CONF)

LOG = logging.getLogger(__name__)

# Added to Nova's own nova.virt.libvirt.driver.VOLUME_DRIVERS, same shape.
VOLUME_DRIVERS = {
    'glusterfs':
        'nova_lightsnap.virt.volume.glusterfs.LibvirtGlusterfsVolumeDriver',
}


def nova_error(exc):
    """Nova's exception for an error of nova_lightsnap, message kept."""
    if isinstance(exc, errors.QuiesceFailed):
        return exception.InstanceQuiesceFailed(reason=str(exc))
    if isinstance(exc, errors.InvalidInput):
        return exception.InvalidInput(reason=str(exc))
    return exception.InternalError(str(exc))


class LightSnapLibvirtDriver(nova_private.LibvirtDriverBase):

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        nova_private.check(_NOVA_PROBLEMS +
                           nova_private.attribute_problems(self))
        engine_host = host_mod.NovaHost(self)
        self.lightsnap_locator = locator.Locator(self)
        self.lightsnap = hooks.Hooks(engine_host, self.lightsnap_locator)
        self.lightsnap_operations = manager.InstanceOperations(
            engine_host, self.lightsnap_locator, CONF.lightsnap.export_dir)
        self._lightsnap_rpc = None

    # -- the lightsnap RPC endpoint -------------------------------------------

    def init_host(self, host):
        super().init_host(host)
        # Nova's own transport: the API reaches this host as topic
        # 'lightsnap', server = the compute's host name, as for 'compute'.
        self.lightsnap_locator.hostname = host
        self._lightsnap_rpc = endpoint.get_server(
            nova_rpc.TRANSPORT, host, self.lightsnap_operations)
        self._lightsnap_rpc.start()
        LOG.info('lightsnap RPC endpoint listening on topic lightsnap, '
                 'server %s', host)
        if (CONF.lightsnap.gluster_transport == 'libgfapi' and
                qemu_gluster.available() is False):
            LOG.warning('%s: volumes with driver_volume_type glusterfs '
                        'cannot be attached while [lightsnap] '
                        'gluster_transport is libgfapi. %s.',
                        qemu_gluster.NO_DRIVER, qemu_gluster.ADVICE)

    def cleanup_host(self, host):
        if self._lightsnap_rpc is not None:
            self._lightsnap_rpc.stop()
            self._lightsnap_rpc.wait()
            self._lightsnap_rpc = None
        super().cleanup_host(host)

    def emit_event(self, event):
        # Nova passes a STOPPED event on after 15 s unless the domain
        # starts again meanwhile, then powers the instance off to match. A
        # revert that copies a stored snapshot back keeps the domain off
        # longer on a busy host; it starts it again itself.
        if (isinstance(event, virtevent.LifecycleEvent) and
                event.transition == virtevent.EVENT_LIFECYCLE_STOPPED and
                self.lightsnap_operations.restarting(event.uuid)):
            LOG.info('Instance %s stopped by a light-snapshot revert, which '
                     'starts it again: the event is not passed to Nova',
                     event.uuid)
            return
        super().emit_event(event)

    # -- light snapshots in Nova's lifecycle ----------------------------------

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        super().spawn(context, instance, image_meta, injected_files,
                      admin_password, allocations, network_info=network_info,
                      block_device_info=block_device_info, power_on=power_on,
                      accel_info=accel_info)
        self.lightsnap.after_spawn(instance)

    # Called by nova_private.LibvirtDriverBase's overrides of Nova's
    # private methods.

    def _lightsnap_guest_xml(self, instance, xml):
        # Hard reboot, power on, resize, revert, rescue: Nova names the
        # root image; the guest runs on the overlay on top of it.
        return self.lightsnap.point_xml(instance, xml)

    def _lightsnap_backing_disk_info(self, instance, disk_info):
        return self.lightsnap.backing_disk_info(instance, disk_info)

    def _lightsnap_live_snapshot(self, instance, out_path, image_format,
                                 image_meta):
        """Nova's image snapshot of an instance that opted in; False for
        the others (Nova's own live snapshot then)."""
        if locator.load_state(instance) is None:
            return False
        try:
            self.lightsnap.image_snapshot(
                instance, out_path, image_format,
                nova_private.requires_quiesce(self, image_meta))
        except errors.LightSnapError as exc:
            raise nova_error(exc) from exc
        return True

    def _lightsnap_volume_driver(self, connection_info):
        """Our volume driver for connection_info; None: Nova's own.

        Built on demand and cached with Nova's, under the same lock.
        """
        driver_type = connection_info.get('driver_volume_type')
        if driver_type not in VOLUME_DRIVERS:
            return None
        return nova_private.cached_volume_driver(
            self, driver_type,
            importutils.import_class(VOLUME_DRIVERS[driver_type]))

    def migrate_disk_and_power_off(self, context, instance, dest, flavor,
                                   network_info, block_device_info=None,
                                   timeout=0, retry_interval=0):
        if locator.load_state(instance) is None:
            return super().migrate_disk_and_power_off(
                context, instance, dest, flavor, network_info,
                block_device_info=block_device_info, timeout=timeout,
                retry_interval=retry_interval)
        try:
            self.lightsnap.commit_for_move(instance)
        except errors.LightSnapError as exc:
            # Nothing moved yet: the instance stays where it is, as it was.
            raise exception.InstanceFaultRollback(
                exception.ResizeError(reason=str(exc)))
        inst_base = libvirt_utils.get_instance_path(instance)
        shared = nova_private.is_path_shared_with(self, dest, inst_base)
        disk_info = super().migrate_disk_and_power_off(
            context, instance, dest, flavor, network_info,
            block_device_info=block_device_info, timeout=timeout,
            retry_interval=retry_interval)
        # Nova copied the disks from the renamed directory; the metadata
        # (committed, next index, flags) follows them.
        self.lightsnap.copy_state(instance, inst_base + '_resize',
                                  None if shared else dest)
        return disk_info

    def check_can_live_migrate_source(self, context, instance,
                                      dest_check_data,
                                      block_device_info=None):
        self.lightsnap.check_live_migration(instance)
        return super().check_can_live_migrate_source(
            context, instance, dest_check_data,
            block_device_info=block_device_info)

    def live_migration(self, context, instance, dest, post_method,
                       recover_method, block_migration=False,
                       migrate_data=None):
        if locator.load_state(instance) is None:
            return super().live_migration(
                context, instance, dest, post_method, recover_method,
                block_migration=block_migration, migrate_data=migrate_data)
        try:
            self.lightsnap.check_live_migration(instance)
            self.lightsnap.commit_for_move(instance)
            if not getattr(migrate_data, 'is_shared_instance_path', False):
                self.lightsnap.copy_state(
                    instance, libvirt_utils.get_instance_path(instance), dest)
        except (errors.LightSnapError,
                exception.MigrationPreCheckError) as exc:
            # As Nova's own failures before the migration starts: roll
            # back and return, which leaves the instance active here (a
            # raise would put it in ERROR).
            LOG.error('Live migration not started: %s', exc,
                      instance=instance)
            recover_method(context, instance, dest, migrate_data)
            return
        super().live_migration(context, instance, dest, post_method,
                               recover_method,
                               block_migration=block_migration,
                               migrate_data=migrate_data)

    def post_live_migration_at_destination(self, context, instance,
                                           network_info,
                                           block_migration=False,
                                           block_device_info=None):
        super().post_live_migration_at_destination(
            context, instance, network_info,
            block_migration=block_migration,
            block_device_info=block_device_info)
        self.lightsnap.after_live_migration(instance)

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        # Overlays live in the instance directory and go with it.
        self.lightsnap.before_destroy(instance, destroy_disks)
        super().destroy(context, instance, network_info,
                        block_device_info=block_device_info,
                        destroy_disks=destroy_disks,
                        destroy_secrets=destroy_secrets)

    # -- assisted volume snapshots --------------------------------------------

    def _lightsnap_volume_snapshots(self):
        # Under eventlet libvirt's callbacks run in a native thread that must
        # not take green locks: the live XML alone then tells how a job
        # ended.
        libvirt_host = nova_private.libvirt_host_of(self)
        return volume_snapshots.VolumeSnapshots(
            libvirt_host.get_connection(),
            job_timeout=CONF.lightsnap.volume_job_timeout,
            use_events=utils.concurrency_mode_threading(),
            connect=libvirt_host.get_connection,
            give_owner=CONF.lightsnap.gluster_image_owner)

    def _guest(self, instance):
        try:
            return nova_private.libvirt_host_of(self).get_guest(instance)
        except exception.InstanceNotFound:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)

    def _volume_snapshot_quiesce(self, instance):
        """(quiesce, required) by Nova's rules for volume snapshots."""
        image_meta = instance.image_meta
        required = nova_private.requires_quiesce(self, image_meta)
        try:
            nova_private.can_quiesce(self, instance, image_meta)
        except (exception.InstanceQuiesceNotSupported,
                exception.QemuGuestAgentNotEnabled) as err:
            if required:
                raise
            LOG.info('Skipping quiescing instance: %(reason)s.',
                     {'reason': err}, instance=instance)
            return False, False
        return True, required

    def _lightsnap_volume_snapshot_create(self, context, instance, guest,
                                          volume_id, new_file):
        """Switch the volume's disk to Cinder's ``new_file`` overlay."""
        if guest.is_active():
            quiesce, required = self._volume_snapshot_quiesce(instance)
        else:
            # A shut-off guest has nothing in flight to freeze.
            quiesce = required = False
        try:
            with self.lightsnap.volume_snapshot_lock(
                    instance, lightsnap_conf.VOLUME_LOCK_WAIT,
                    lightsnap_conf.CINDER_CREATE_WAIT):
                result = self._lightsnap_volume_snapshots().create(
                    nova_private.domain_of(guest), volume_id, new_file,
                    quiesce=quiesce,
                    quiesce_required=required)
        except errors.LightSnapError as exc:
            raise nova_error(exc) from exc
        LOG.debug('volume snapshot of %s: %s', volume_id, result,
                  instance=instance)

    def volume_snapshot_create(self, context, instance, volume_id,
                               create_info):
        """Create snapshots of a Cinder volume via libvirt.

        :param instance: VM instance object reference
        :param volume_id: id of volume being snapshotted
        :param create_info: dict of information used to create snapshots
                     - snapshot_id : ID of snapshot
                     - type : qcow2 / <other>
                     - new_file : qcow2 file created by Cinder which
                     becomes the VM's active image after
                     the snapshot is complete

        As Nova's, except that create_info is checked (new_file a plain
        name in the volume's directory) before libvirt is asked anything,
        and that Cinder is told 'error' for every failure once the
        snapshot_id is known (Nova leaves it to time out for a bad type or
        a missing domain).
        """
        LOG.debug("volume_snapshot_create: create_info: %(c_info)s",
                  {'c_info': create_info}, instance=instance)
        snapshot_id = None
        if isinstance(create_info, dict):
            snapshot_id = create_info.get('snapshot_id')
        try:
            if not isinstance(create_info, dict):
                raise exception.InternalError(
                    _('create_info must be an object'))
            if create_info.get('type') != 'qcow2':
                raise exception.InternalError(
                    _('Unknown type: %s') % create_info.get('type'))
            if snapshot_id is None:
                raise exception.InternalError(
                    _('snapshot_id required in create_info'))
            try:
                new_file = volume_snapshots.check_create_info(create_info)
            except errors.LightSnapError as exc:
                raise nova_error(exc) from exc
            guest = self._guest(instance)
            nova_private.volume_snapshot_create(self, context, instance,
                                                guest, volume_id, new_file)
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.exception('Error occurred during volume_snapshot_create, '
                              'sending error status to Cinder.',
                              instance=instance)
                if snapshot_id is not None:
                    nova_private.update_volume_snapshot_status(
                        self, context, snapshot_id, 'error')

        nova_private.update_volume_snapshot_status(
            self, context, snapshot_id, 'creating')
        volume_api = nova_private.volume_api_of(self)

        def _wait_for_snapshot():
            snapshot = volume_api.get_snapshot(context, snapshot_id)

            if snapshot.get('status') != 'creating':
                nova_private.refresh_volume_connection_info(
                    self, context, instance, volume_id)
                raise loopingcall.LoopingCallDone()

        timer = loopingcall.FixedIntervalLoopingCall(_wait_for_snapshot)
        timer.start(interval=0.5).wait()

    def _lightsnap_volume_snapshot_delete(self, context, instance, volume_id,
                                          delete_info):
        """Merge per Cinder's delete_info.

        :param delete_info: {
            'type':              'qcow2',
            'file_to_merge':     'a.img' or None,
            'merge_target_file': 'b.img' or None (if merging file_to_merge
                                                  into the active image)
          }

        merge_target_file None: pull into the active image everything above
        file_to_merge (its new backing file), or the whole chain when that
        is None too; otherwise commit file_to_merge into merge_target_file.
        """
        LOG.debug('volume_snapshot_delete: delete_info: %s', delete_info,
                  instance=instance)
        if (not isinstance(delete_info, dict) or
                delete_info.get('type') != 'qcow2'):
            raise exception.InternalError(
                _('Unknown delete_info type %s') % (
                    delete_info.get('type')
                    if isinstance(delete_info, dict) else delete_info))
        try:
            volume_snapshots.check_delete_info(delete_info)
        except errors.LightSnapError as exc:
            raise nova_error(exc) from exc
        guest = self._guest(instance)
        try:
            with self.lightsnap.volume_snapshot_lock(
                    instance, lightsnap_conf.VOLUME_LOCK_WAIT,
                    lightsnap_conf.CINDER_DELETE_WAIT):
                result = self._lightsnap_volume_snapshots().delete(
                    nova_private.domain_of(guest), volume_id, delete_info)
        except errors.LightSnapError as exc:
            raise nova_error(exc) from exc
        LOG.debug('volume snapshot delete of %s: %s', volume_id, result,
                  instance=instance)

    def volume_snapshot_delete(self, context, instance, volume_id, snapshot_id,
                               delete_info):
        try:
            nova_private.volume_snapshot_delete(self, context, instance,
                                                volume_id, snapshot_id,
                                                delete_info)
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.exception('Error occurred during volume_snapshot_delete, '
                              'sending error status to Cinder.',
                              instance=instance)
                nova_private.update_volume_snapshot_status(
                    self, context, snapshot_id, 'error_deleting')

        nova_private.update_volume_snapshot_status(
            self, context, snapshot_id, 'deleting')
        nova_private.refresh_volume_connection_info(
            self, context, instance, volume_id)


# Checked at import, before anything can patch Nova's classes; raised by
# the driver's __init__.
_NOVA_PROBLEMS = nova_private.problems(LightSnapLibvirtDriver)
