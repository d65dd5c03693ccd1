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

"""Every private name of Nova that nova-lightsnap overrides or uses.

Nova's private methods and attributes change between releases without
notice. Overriding one that was renamed silently stops the override from
running; calling one whose arguments changed fails deep inside an
operation. So they are all here, each listed in ``EXPECTED`` with the
signature it had in the Nova release this was tested with, and
:func:`check` (called by the driver's ``__init__``) refuses to start on a
Nova where one is missing or differs, naming both versions.

The rest of the Nova side (nova_lightsnap.virt) uses Nova's public
interfaces only, and these accessors and the two base classes below.
"""

import inspect

from nova import utils
from nova import version
from nova.virt.libvirt import driver as libvirt_driver
from nova.virt.libvirt import guest as libvirt_guest
from nova.virt.libvirt import host as libvirt_host
from nova.virt.libvirt.volume import fs

TESTED_NOVA_VERSION = '34.0.0'

_LibvirtDriver = libvirt_driver.LibvirtDriver
_MountedFS = fs.LibvirtMountedFileSystemVolumeDriver

# (class, name, signature in TESTED_NOVA_VERSION without annotations).
EXPECTED = [
    # Overridden by LibvirtDriverBase.
    (_LibvirtDriver, '_get_guest_xml',
     '(self, context, instance, network_info, disk_info, image_meta, '
     'rescue=None, block_device_info=None, mdevs=None, accel_info=None, '
     'share_info=None, old_guest=None)'),
    (_LibvirtDriver, '_create_images_and_backing',
     '(self, context, instance, instance_dir, disk_info, '
     'fallback_from_host=None)'),
    (_LibvirtDriver, '_live_snapshot',
     '(self, context, instance, guest, disk_path, out_path, '
     'source_format, image_format, image_meta)'),
    (_LibvirtDriver, '_get_volume_driver', '(self, connection_info)'),
    (_LibvirtDriver, '_volume_snapshot_create',
     '(self, context, instance, guest, volume_id, new_file)'),
    (_LibvirtDriver, '_volume_snapshot_delete',
     '(self, context, instance, volume_id, snapshot_id, delete_info=None)'),
    # Called by the accessors below.
    (_LibvirtDriver, '_is_path_shared_with', '(self, dest, path)'),
    (_LibvirtDriver, '_requires_quiesce', '(self, image_meta)'),
    (_LibvirtDriver, '_can_quiesce', '(self, instance, image_meta)'),
    (_LibvirtDriver, '_volume_snapshot_update_status',
     '(self, context, snapshot_id, status)'),
    (_LibvirtDriver, '_volume_refresh_connection_info',
     '(self, context, instance, volume_id)'),
    # Public methods of the driver's private libvirt Host.
    (libvirt_host.Host, 'get_connection', '(self)'),
    (libvirt_host.Host, 'get_guest', '(self, instance)'),
    # Overridden by MountedFileSystemVolumeDriver.
    (_MountedFS, '_get_mount_point_base', '(self)'),
    (_MountedFS, '_mount_options', '(self, connection_info)'),
]
# Set by LibvirtDriver.__init__, read here; checked on the driver itself.
DRIVER_ATTRIBUTES = ('_host', '_volume_api', 'volume_drivers')


class NovaIncompatible(Exception):
    """The installed Nova lacks or changed something the driver needs."""


def _signature(func):
    sig = inspect.signature(func)
    return str(sig.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty)
                    for p in sig.parameters.values()],
        return_annotation=inspect.Signature.empty))


def signature_problems(expected):
    """What differs from ``expected`` ([(class, name, signature)])."""
    problems = []
    for cls, name, want in expected:
        where = '%s.%s' % (cls.__name__, name)
        func = getattr(cls, name, None)
        if func is None:
            problems.append('%s is gone' % where)
            continue
        try:
            got = _signature(func)
        except (TypeError, ValueError):
            got = '(not a function: %r)' % (func,)
        if got != want:
            problems.append('%s%s, expected %s%s' % (where, got, where, want))
    return problems


def guest_problems(guest_class=libvirt_guest.Guest):
    marker = object()
    if getattr(guest_class(marker), '_domain', None) is not marker:
        return ['%s(domain)._domain is not the libvirt domain'
                % guest_class.__name__]
    return []


def shadow_problems(cls, base=_LibvirtDriver, expected=None):
    """Private names of ``cls`` (up to ``base``) that ``base`` has too
    without their being listed: a name Nova added that one of ours now
    hides. (The public methods of Nova's virt driver interface are
    overridden on purpose, and Nova's own tests refuse any other public
    method on a driver.)"""
    listed = {name for owner, name, _ in (expected or EXPECTED)
              if owner is base}
    problems = []
    for klass in cls.__mro__[:cls.__mro__.index(base)]:
        for name in vars(klass):
            if (name.startswith('_') and not name.startswith('__') and
                    name not in listed and hasattr(base, name)):
                problems.append('%s.%s hides %s.%s, which Nova added' % (
                    klass.__name__, name, base.__name__, name))
    return problems


def attribute_problems(driver, names=DRIVER_ATTRIBUTES):
    return ['%s.%s is gone' % (type(driver).__name__, name)
            for name in names if not hasattr(driver, name)]


def problems(driver_class):
    """Everything of Nova's that ``driver_class`` needs and is not there.

    Computed once, when the driver module is imported: nova-compute loads
    it before it builds the driver, and a test patches Nova's classes only
    later.
    """
    return (signature_problems(EXPECTED) + guest_problems() +
            shadow_problems(driver_class))


def check(found, installed=None):
    """Raise NovaIncompatible if ``found`` lists a problem."""
    if not found:
        return
    installed = installed or version.version_string()
    raise NovaIncompatible(
        'nova-lightsnap was tested with Nova %s and relies on private '
        'parts of its libvirt driver, which the installed Nova %s '
        'changed: %s. Install a nova-lightsnap release made for Nova %s, '
        'or set [DEFAULT] compute_driver = libvirt.LibvirtDriver to run '
        'without light snapshots.' % (
            TESTED_NOVA_VERSION, installed, '; '.join(found), installed))


# -- uses ---------------------------------------------------------------------

def libvirt_host_of(driver):
    """The driver's nova.virt.libvirt.host.Host."""
    return driver._host


def domain_of(guest):
    """The libvirt.virDomain of a nova.virt.libvirt.guest.Guest."""
    return guest._domain


def volume_api_of(driver):
    return driver._volume_api


def requires_quiesce(driver, image_meta):
    return bool(driver._requires_quiesce(image_meta))


def can_quiesce(driver, instance, image_meta):
    """Raises InstanceQuiesceNotSupported or QemuGuestAgentNotEnabled."""
    driver._can_quiesce(instance, image_meta)


def is_path_shared_with(driver, dest, path):
    return driver._is_path_shared_with(dest, path)


def update_volume_snapshot_status(driver, context, snapshot_id, status):
    driver._volume_snapshot_update_status(context, snapshot_id, status)


def refresh_volume_connection_info(driver, context, instance, volume_id):
    driver._volume_refresh_connection_info(context, instance, volume_id)


def volume_snapshot_create(driver, context, instance, guest, volume_id,
                           new_file):
    # Through the private name, as Nova's volume_snapshot_create calls it.
    driver._volume_snapshot_create(context, instance, guest, volume_id,
                                   new_file)


def volume_snapshot_delete(driver, context, instance, volume_id,
                           snapshot_id, delete_info):
    driver._volume_snapshot_delete(context, instance, volume_id,
                                   snapshot_id, delete_info=delete_info)


def cached_volume_driver(driver, driver_type, make):
    """``driver.volume_drivers[driver_type]``, made by ``make(libvirt
    host)`` on first use, under the lock of Nova's own cache."""
    found = driver.volume_drivers.get(driver_type)
    if found is not None:
        return found

    @utils.synchronized('cache_volume_driver')
    def _cache():
        if driver_type not in driver.volume_drivers:
            driver.volume_drivers[driver_type] = make(driver._host)
        return driver.volume_drivers[driver_type]

    return _cache()


# -- overrides ----------------------------------------------------------------

class LibvirtDriverBase(libvirt_driver.LibvirtDriver):
    """LibvirtDriver whose private methods we override, each handing over
    to a method of the subclass with a name of our own (``_lightsnap_*``).

    Nova's arguments go through exactly as Nova passed them.
    """

    def _get_guest_xml(self, context, instance, *args, **kwargs):
        xml = super()._get_guest_xml(context, instance, *args, **kwargs)
        return self._lightsnap_guest_xml(instance, xml)

    def _create_images_and_backing(self, context, instance, instance_dir,
                                   disk_info, *args, **kwargs):
        disk_info = self._lightsnap_backing_disk_info(instance, disk_info)
        super()._create_images_and_backing(context, instance, instance_dir,
                                           disk_info, *args, **kwargs)

    def _live_snapshot(self, context, instance, guest, disk_path, out_path,
                       source_format, image_format, image_meta):
        if not self._lightsnap_live_snapshot(instance, out_path,
                                             image_format, image_meta):
            return super()._live_snapshot(
                context, instance, guest, disk_path, out_path,
                source_format, image_format, image_meta)

    def _get_volume_driver(self, connection_info):
        driver = self._lightsnap_volume_driver(connection_info)
        if driver is None:
            return super()._get_volume_driver(connection_info)
        return driver

    def _volume_snapshot_create(self, context, instance, guest,
                                volume_id, new_file):
        self._lightsnap_volume_snapshot_create(
            context, instance, guest, volume_id, new_file)

    def _volume_snapshot_delete(self, context, instance, volume_id,
                                snapshot_id, delete_info=None):
        self._lightsnap_volume_snapshot_delete(
            context, instance, volume_id, delete_info)


class MountedFileSystemVolumeDriver(fs.LibvirtMountedFileSystemVolumeDriver):
    """Nova's mounted file-system volume driver, its two private hooks
    handed over to ``mount_point_base`` and ``mount_options``."""

    def _get_mount_point_base(self):
        return self.mount_point_base()

    def _mount_options(self, connection_info):
        return self.mount_options(connection_info)
