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

"""The ``[quota]`` options of lightsnap-api: where the limits on light
snapshots come from, and the limits of the configuration file."""

from oslo_config import cfg

from nova_lightsnap.conf import keystone

QUOTA_GROUP = cfg.OptGroup(
    'quota', title='Quotas',
    help='Limits on light snapshots, checked by lightsnap-api before a '
         'create reaches a compute. -1 is unlimited.')

QUOTA_OPTS = [
    cfg.StrOpt(
        'driver', default='config',
        choices=[('config', 'The limits below, the same for every '
                            'project (the embedded mode).'),
                 ('unified_limits', 'Keystone\'s registered and project '
                                    'limits, through oslo.limit '
                                    '([oslo_limit] options); a resource '
                                    'with no registered limit allows '
                                    'nothing.')],
        help='Where the limits come from.'),
    cfg.IntOpt(
        'snapshots', default=-1, min=-1,
        help='driver = config: light snapshots a project may hold '
             '(lightsnap_snapshots).'),
    cfg.IntOpt(
        'snapshot_megabytes', default=-1, min=-1,
        help='driver = config: MiB the light snapshots of a project may '
             'hold, as their computes last reported their sizes '
             '(lightsnap_snapshot_megabytes).'),
    cfg.IntOpt(
        'snapshots_per_instance', default=-1, min=-1,
        help='driver = config: live light snapshots (the chain depth) an '
             'instance may have (lightsnap_snapshots_per_instance).'),
]


def register_opts(conf):
    conf.register_group(keystone.fresh_group(QUOTA_GROUP))
    conf.register_opts(QUOTA_OPTS, group=QUOTA_GROUP.name)


def list_opts():
    return [(QUOTA_GROUP, QUOTA_OPTS)]
