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

"""The ``[lightsnap]`` options of nova.conf.

Registered on Nova's own configuration object by the driver, and listed for
``oslo-config-generator`` by :mod:`nova_lightsnap.conf.opts` (namespace
``nova_lightsnap``). No Nova import here: the REST service and the tools
read the same options.
"""

from oslo_config import cfg

GROUP = cfg.OptGroup(
    'lightsnap',
    title='Light snapshots',
    help='Options of the nova-lightsnap compute driver '
         '(compute_driver = lightsnap.driver.LightSnapLibvirtDriver): '
         'block jobs of light and assisted volume snapshots, and the '
         'GlusterFS volume driver.')

# Cinder's remotefs drivers give up waiting for Nova after this many
# seconds, for a create and a delete, and mark the snapshot "error" or
# "error_deleting" while Nova's work may go on.
CINDER_CREATE_WAIT = 600
CINDER_DELETE_WAIT = 7200
# How long an assisted volume snapshot waits for a light-snapshot
# operation on the same instance (a revert, a merge) to finish.
VOLUME_LOCK_WAIT = 300
# A volume merge, after that wait, still ends this long before Cinder
# gives up.
_CINDER_MARGIN = 300

OPTS = [
    cfg.IntOpt(
        'job_timeout',
        default=3600,
        min=1,
        help='Seconds a block job merging a light snapshot away (a '
             'blockCommit or blockRebase) may run. A job that runs longer '
             'is cancelled, the disk stays on its previous chain, and the '
             'delete fails; nothing is lost. Raise it for large disks or '
             'a low merge_bandwidth.'),
    cfg.IntOpt(
        'volume_job_timeout',
        default=3600,
        min=1,
        max=CINDER_DELETE_WAIT - VOLUME_LOCK_WAIT - _CINDER_MARGIN,
        help='Seconds the merge of an assisted volume snapshot delete '
             '(Cinder\'s remotefs drivers) may run. At the limit the job '
             'is cancelled, the volume stays on its previous chain with '
             'nothing lost, and Cinder is told "error_deleting"; the '
             'delete can be retried. Cinder itself stops waiting after '
             '%d s: the maximum keeps the merge, with up to %d s of '
             'waiting for a light-snapshot operation on the same '
             'instance, within that, so that Cinder and the disk never '
             'disagree.' % (CINDER_DELETE_WAIT, VOLUME_LOCK_WAIT)),
    cfg.IntOpt(
        'merge_bandwidth',
        default=0,
        min=0,
        help='MiB/s a block job merging a light snapshot away may move, '
             'so that a large merge leaves the host\'s disks to its '
             'guests; 0 is no limit. Merges of a shut-off instance '
             '(qemu-img) are not limited.'),
    cfg.StrOpt(
        'gluster_transport',
        default='libgfapi',
        choices=[
            ('libgfapi', 'QEMU opens the image in the gluster volume '
                         'itself (network disk, protocol gluster); no '
                         'mount on the compute host. Needs QEMU\'s gluster '
                         'block driver (Debian: qemu-block-extra; '
                         'deprecated since QEMU 9.2): nova-compute warns '
                         'at start when QEMU lacks it, and such an attach '
                         'is then refused.'),
            ('fuse', 'The volume is mounted with the GlusterFS FUSE '
                     'client under glusterfs_mount_point_base and the '
                     'image attached as a file disk; needs no gluster '
                     'support in QEMU, only glusterfs-client on the '
                     'host.'),
        ],
        help='How volumes with "driver_volume_type: glusterfs" are '
             'attached to instances. Changing it affects attachments made '
             'afterwards (also on hard reboot); attached volumes keep '
             'their disk until then.'),
    cfg.BoolOpt(
        'gluster_image_owner',
        default=True,
        help='With gluster_transport "libgfapi": give a volume\'s image the '
             'owner libvirt would give it (its DAC label, QEMU\'s user) '
             'through nova-compute\'s own libgfapi connection, and tell '
             'libvirt to leave the owner alone (<seclabel model="dac" '
             'relabel="no"/>); the same for the new file of an assisted '
             'volume snapshot. libvirt would otherwise change the owner '
             'itself on every start, stop, attach, detach and snapshot, '
             'each time through a libgfapi client whose teardown takes '
             'about 10 s on glusterfs 7 to 11. The image then stays '
             'QEMU\'s while the instance is stopped, where libvirt 9.0 gives '
             'it back to root. False leaves the owner to libvirt.'),
    cfg.StrOpt(
        'glusterfs_mount_point_base',
        default='$state_path/mnt',
        help='Directory where GlusterFS volumes are mounted when '
             'gluster_transport is "fuse"; each export gets a '
             'subdirectory named by its hash, as for Nova\'s NFS volumes.'),
    cfg.StrOpt(
        'glusterfs_mount_options',
        help='Extra options for "mount -t glusterfs" (passed with -o) '
             'when gluster_transport is "fuse", e.g. '
             '"backup-volfile-servers=host2:host3". Options that Cinder '
             'sends in the connection info are added after these.'),
    cfg.StrOpt(
        'live_migration',
        default='commit',
        choices=[
            ('commit', 'Fold every light snapshot of the instance back '
                       'into its root disk, then migrate (the snapshots '
                       'are gone, as for resize and cold migration).'),
            ('refuse', 'Refuse to live-migrate an instance that has light '
                       'snapshots; the user deletes or commits them '
                       'first.'),
        ],
        help='What live migration does to an instance with light '
             'snapshots.'),
    cfg.BoolOpt(
        'keep_store_on_destroy',
        default=False,
        help='When an instance with stored snapshots is deleted, move its '
             'store folder to <instances_path>/lightsnap-kept/<uuid> '
             'instead of deleting it with the instance.'),
    cfg.StrOpt(
        'export_dir',
        default='$state_path/lightsnap-exports',
        help='Directory on the compute host where exported light '
             'snapshots (standalone qcow2 images) are written.'),
    cfg.IntOpt(
        'image_snapshot_wait',
        default=3600,
        min=0,
        help='Seconds Nova\'s own image snapshot of an instance with light '
             'snapshots waits for a light-snapshot operation on it (a '
             'merge) to finish before it fails. It never aborts the '
             'operation, unlike upstream Nova, which aborts block jobs.'),
    cfg.StrOpt(
        'state_dir',
        default='/var/lib/lightsnap',
        help='Host-wide directory of nova-lightsnap: the index of domains '
             'with light snapshots, snapshot sets, and the metadata of '
             'domains whose disks are all network disks (the metadata of '
             'other domains lives beside their first local disk).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
