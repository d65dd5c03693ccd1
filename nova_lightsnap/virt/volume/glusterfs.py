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

"""The libvirt volume driver for ``driver_volume_type: glusterfs``.

Nova had it until Ocata (``nova/virt/libvirt/volume/glusterfs.py``) and
removed it in Pike. Restored on Nova's current file-system volume driver
base. Cinder's connection info::

    {'driver_volume_type': 'glusterfs',
     'data': {'export': 'HOST:/VOLUME',   # the gluster volume
              'name': 'volume-UUID[.SNAPSHOT]',  # the active image in it
              'format': 'raw' | 'qcow2',
              'options': '-o backup-volfile-servers=...'}}  # optional

``[lightsnap] gluster_transport`` chooses how the image reaches QEMU:
``libgfapi`` (default) makes a network disk (``protocol='gluster'``,
``name='VOLUME/NAME'``, host and port 24007 from the export), with nothing
mounted on the host; ``fuse`` mounts the volume with Nova's mount manager
(reference-counted per mount point, as NFS) and attaches the file.

A libgfapi image is given the owner libvirt would give it (its DAC
``baselabel`` for the host's virt type) through our own connection to the
volume, and its source says ``<seclabel model='dac' relabel='no'/>``:
libvirt would otherwise chown it when the domain starts or the disk is
attached, and (libvirt 9.0) back to root when it stops or is detached, each
time through a libgfapi client of its own whose teardown takes about 10 s
(glusterfs 7 to 11). Left to libvirt when our connection cannot do it.
"""

import re

import libvirt
from lxml import etree
from oslo_log import log as logging

import nova.conf
from nova import exception
from nova.virt.libvirt import config as vconfig

from nova_lightsnap import chain
from nova_lightsnap.conf import lightsnap as lightsnap_conf
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import qemu_gluster
from nova_lightsnap import names
from nova_lightsnap.virt import nova_private

CONF = nova.conf.CONF
lightsnap_conf.register_opts(CONF)

LOG = logging.getLogger(__name__)

_EXPORT = re.compile(r'^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)'
                     r':/?(?P<volume>[A-Za-z0-9._-]+)/?\Z')


def parse_export(export):
    """``'HOST:/VOLUME'`` (or ``HOST:VOLUME``, ``[IPV6]:/VOLUME``)."""
    match = _EXPORT.match(export or '') if isinstance(export, str) else None
    if match is None or match.group('volume') in ('.', '..'):
        raise exception.InvalidVolume(
            reason='GlusterFS export %r is not HOST:/VOLUME' % (export,))
    return match.group('host').strip('[]'), match.group('volume')


def _image_name(data):
    try:
        return names.check_basename(data.get('name'),
                                    'GlusterFS image name')
    except errors.InvalidInput as exc:
        raise exception.InvalidVolume(reason=str(exc)) from None


class OwnedNetworkDisk(vconfig.LibvirtConfigGuestDisk):
    """A network disk whose image already has the owner libvirt would give
    it, so libvirt is told to leave that owner alone."""

    def format_dom(self):
        dev = super().format_dom()
        dev.find('source').append(etree.fromstring(chain.KEEP_OWNER))
        return dev


class LibvirtGlusterfsVolumeDriver(
        nova_private.MountedFileSystemVolumeDriver):
    """GlusterFS volumes: libgfapi network disks or FUSE-mounted files."""

    def __init__(self, host):
        super().__init__(host, 'glusterfs')

    @staticmethod
    def _libgfapi():
        return CONF.lightsnap.gluster_transport == 'libgfapi'

    def mount_point_base(self):
        return CONF.lightsnap.glusterfs_mount_point_base

    def get_config(self, connection_info, disk_info):
        """Returns xml for libvirt."""
        conf = super().get_config(connection_info, disk_info)
        data = connection_info['data']
        name = _image_name(data)
        if self._libgfapi():
            host, volume = parse_export(data['export'])
            conf.source_type = 'network'
            conf.source_protocol = 'gluster'
            conf.source_hosts = [host]
            conf.source_ports = [str(chain.GLUSTER_DEFAULT_PORT)]
            conf.source_name = '%s/%s' % (volume, name)
            if self._give_owner(chain.ImageRef(
                    'gluster', name, host=host, volume=volume,
                    port=chain.GLUSTER_DEFAULT_PORT)):
                # Same attributes; Nova changes them after this (alias,
                # address, boot order) and formats the disk last.
                conf.__class__ = OwnedNetworkDisk
        else:
            conf.source_type = 'file'
            conf.source_path = data['device_path']
        conf.driver_format = data.get('format', 'raw')
        return conf

    def _give_owner(self, ref):
        if not CONF.lightsnap.gluster_image_owner:
            return False
        try:
            caps = self.host.get_connection().getCapabilities()
        except (libvirt.libvirtError, exception.HypervisorUnavailable) as exc:
            LOG.info('leaving the owner of %s to libvirt: no capabilities '
                     '(%s)', ref.url, exc)
            return False
        owner = chain.dac_base_owner(caps, CONF.libvirt.virt_type)
        return owner is not None and images.give_owner(ref, owner)

    def connect_volume(self, connection_info, instance):
        """Mount the volume (fuse); libgfapi needs nothing on the host."""
        _image_name(connection_info['data'])
        if self._libgfapi():
            parse_export(connection_info['data']['export'])
            if qemu_gluster.available() is False:
                # libvirt would say only "Unknown protocol 'gluster'".
                raise exception.VolumeAttachFailed(
                    volume_id=connection_info.get('serial'),
                    reason='%s. %s' % (qemu_gluster.NO_DRIVER,
                                       qemu_gluster.ADVICE))
            return
        super().connect_volume(connection_info, instance)

    def disconnect_volume(self, connection_info, instance, force=False):
        """Release the mount (fuse): unmounted when its last user goes.

        A volume attached through FUSE before the transport was switched
        to libgfapi carries its ``device_path`` and is released too.
        """
        if self._libgfapi() and not connection_info['data'].get(
                'device_path'):
            return
        return super().disconnect_volume(connection_info, instance,
                                         force=force)

    def mount_options(self, connection_info):
        options = []
        if CONF.lightsnap.glusterfs_mount_options:
            options.extend(['-o', CONF.lightsnap.glusterfs_mount_options])
        conn_options = connection_info['data'].get('options')
        if conn_options:
            options.extend(conn_options.split(' '))
        return options

    def extend_volume(self, connection_info, instance, requested_size):
        # Cinder grew the image; libvirt resizes the disk in the guest
        # (virDomainBlockResize), for a file and a gluster disk alike.
        return requested_size
