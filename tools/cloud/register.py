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

"""Keystone users, services and endpoints, then the flavor and the image.

Run by tools/cloud/cloud with the cloud's virtualenv; every step looks
first and only creates what is missing, so that it can run again.
  register.py identity SECRET   (keystone only)
  register.py compute GUEST_DIR (nova and glance answering)
"""
import os
import subprocess
import sys
import tempfile

import openstack

SERVICES = {
    # user/type: (service name, port, path)
    'glance': ('image', 'glance', 13292, ''),
    'placement': ('placement', 'placement', 13778, ''),
    'nova': ('compute', 'nova', 13774, '/v2.1'),
    'neutron': ('network', 'neutron', 13696, ''),
    'cinder': ('block-storage', 'cinderv3', 13776, '/v3/%(project_id)s'),
    # what openstack light and the Horizon panel look up in the catalog
    'lightsnap': ('lightsnap', 'lightsnap', 13799, ''),
}


def identity(secret):
    conn = openstack.connect(cloud='lightsnap-admin')
    idn = conn.identity

    def project(name):
        return idn.find_project(name, domain_id='default') or \
            idn.create_project(name=name, domain_id='default')

    def role(name):
        return idn.find_role(name) or idn.create_role(name=name)

    def user(name, proj, roles):
        u = idn.find_user(name, domain_id='default')
        if u is None:
            u = idn.create_user(name=name, password=secret,
                                domain_id='default',
                                default_project_id=proj.id)
        for r in roles:
            idn.assign_project_role_to_user(proj, u, role(r))

    service = project('service')
    for name in SERVICES:
        user(name, service, ['admin', 'service'])
    user('demo', project('demo'), ['member', 'reader'])

    for name, (stype, sname, port, path) in SERVICES.items():
        svc = next(iter(idn.services(type=stype)), None) or \
            idn.create_service(name=sname, type=stype, enabled=True)
        have = {e.interface for e in idn.endpoints(service_id=svc.id)}
        for interface in ('public', 'internal', 'admin'):
            if interface not in have:
                idn.create_endpoint(
                    service_id=svc.id, interface=interface,
                    region_id='RegionOne',
                    url='http://127.0.0.1:%d%s' % (port, path))
        if name == 'lightsnap':
            registered_limits(idn, svc)


# The cloud's defaults for every project (keystone's registered limits of
# the service lightsnap); a project's own limit overrides one
# (openstack limit create --project P --service lightsnap ...).
REGISTERED_LIMITS = {
    'lightsnap_snapshots': 200,
    'lightsnap_snapshot_megabytes': 10 * 1024,
    'lightsnap_snapshots_per_instance': 32,
}


def registered_limits(idn, service):
    have = {r.resource_name for r in idn.registered_limits(
        service_id=service.id, region_id='RegionOne')}
    for name, default in sorted(REGISTERED_LIMITS.items()):
        if name not in have:
            idn.create_registered_limit(
                service_id=service.id, region_id='RegionOne',
                resource_name=name, default_limit=default)


def compute(guest):
    conn = openstack.connect(cloud='lightsnap-admin')
    # neutron-server builds its models' relationships (Port's
    # port_forwardings) at its first query, which must not be the
    # ports query of a Nova instance: that query names them first.
    list(conn.network.networks())
    if conn.compute.find_flavor('lightsnap.tiny') is None:
        conn.compute.create_flavor(name='lightsnap.tiny', ram=256, vcpus=1,
                                   disk=1, ephemeral=1, swap=64,
                                   is_public=True)
    # cinder.conf's default_volume_type: the NFS backend.
    if conn.block_storage.find_type('nfs') is None:
        conn.block_storage.create_type(
            name='nfs', extra_specs={'volume_backend_name': 'nfs'})
    if conn.image.find_image('lightsnap-tiny') is not None:
        return

    def upload(name, path, disk_format, **props):
        img = conn.image.find_image(name)
        if img is not None:
            conn.image.delete_image(img)
        return conn.image.create_image(
            name=name, filename=path, disk_format=disk_format,
            container_format=disk_format if disk_format in ('aki', 'ari')
            else 'bare', visibility='public', wait=True, **props)

    kernel = upload('lightsnap-tiny-kernel', os.path.join(guest, 'vmlinuz'),
                    'aki')
    ramdisk = upload('lightsnap-tiny-initrd',
                     os.path.join(guest, 'initrd.img'), 'ari')
    # The root disk: an empty qcow2 that the guest's /init formats (ext2)
    # and mounts on /data; the guest boots from kernel_id and ramdisk_id.
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, 'root.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk,
                        '64M'], check=True)
        upload('lightsnap-tiny', disk, 'qcow2', kernel_id=kernel.id,
               ramdisk_id=ramdisk.id, os_command_line='console=ttyS0',
               hw_qemu_guest_agent='yes', hw_machine_type='q35')


if __name__ == '__main__':
    {'identity': identity, 'compute': compute}[sys.argv[1]](*sys.argv[2:])
