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

"""Options of lightsnap-scheduler: ``[scheduler]`` and ``[lightsnap_api]``.

Listed for ``oslo-config-generator`` through the ``oslo.config.opts`` entry
point ``nova_lightsnap.scheduler = nova_lightsnap.scheduler.opts:list_opts``.
"""

import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from nova_lightsnap import keystone_opts

SCHEDULER_GROUP = cfg.OptGroup(
    'scheduler', title='Daily snapshots',
    help='When lightsnap-scheduler takes the daily snapshots and how many '
         'it keeps.')

API_GROUP = cfg.OptGroup(
    'lightsnap_api', title='lightsnap-api, as the scheduler reaches it',
    help='The service identity lightsnap-scheduler uses on the REST API. '
         'It needs the admin role: it lists the instances of every '
         'project. With auth_strategy = keystone, the keystoneauth '
         'options below (auth_type, auth_url, username, password, '
         'project_name, ...) give a service user and the endpoint comes '
         'from the catalog (service type lightsnap) unless endpoint_override '
         'is set; with noauth, endpoint_override is the API\'s URL.')

HHMM = r'^([01][0-9]|2[0-3]):[0-5][0-9]$'

SCHEDULER_OPTS = [
    cfg.StrOpt(
        'daily_at', default='02:30', regex=HHMM,
        help='Time of day, HH:MM in UTC, of the daily snapshots. Each is '
             'named daily-YYYYMMDD after its day. After a downtime of '
             'the scheduler the missed period gets one snapshot, for the '
             'latest day whose time has passed, not one per missed day.'),
    cfg.IntOpt(
        'retention', default=7, min=1,
        help='Daily snapshots kept per instance: older daily-YYYYMMDD '
             'snapshots are deleted once the new one is taken. Snapshots '
             'with other names are never touched.'),
    cfg.IntOpt(
        'poll_interval', default=300, min=1,
        help='Seconds between two looks at the instances. An instance that '
             'could not be snapshotted (busy, compute not answering) is '
             'tried again then, and so is one that turned daily since the '
             'last look: it gets the current day\'s snapshot at once.'),
    cfg.StrOpt(
        'quiesce', default='auto',
        choices=[('auto', 'Freeze the guest\'s file systems when its agent '
                          'answers, else take a crash-consistent snapshot.'),
                 ('required', 'Freeze or fail (the day is then missed for '
                              'that instance, and logged).'),
                 ('off', 'Do not ask the guest.')],
        help='Quiesce mode of the daily snapshots.'),
    cfg.IntOpt(
        'operation_timeout', default=3600, min=1,
        help='Seconds the scheduler waits for a snapshot or a retention '
             'delete (a merge) to end before it goes on with the other '
             'instances; the operation itself is not cancelled.'),
]

API_OPTS = [
    cfg.StrOpt(
        'auth_strategy', default='noauth',
        choices=[('noauth', 'Send the noauth_* identity headers; '
                            'endpoint_override is the API\'s URL.'),
                 ('keystone', 'Authenticate as the service user of the '
                              'keystoneauth options of this section.')],
        help='How lightsnap-api authenticates: as its own [api] '
             'auth_strategy.'),
    cfg.StrOpt(
        'noauth_project_id', default='service',
        help='noauth: the project sent as X-Project-Id.'),
    cfg.StrOpt(
        'noauth_user_id', default='lightsnap-scheduler',
        help='noauth: the user sent as X-User-Id.'),
    cfg.ListOpt(
        'noauth_roles', default=['admin'],
        help='noauth: the roles sent as X-Roles (admin lists every '
             'project\'s instances).'),
]

def _adapter_opts():
    opts = ks_loading.get_adapter_conf_options(include_deprecated=False)
    cfg.set_defaults(opts, service_type='lightsnap',
                     valid_interfaces=['internal', 'public'])
    return opts


def register_opts(conf):
    conf.register_group(keystone_opts.fresh_group(SCHEDULER_GROUP))
    conf.register_opts(SCHEDULER_OPTS, group=SCHEDULER_GROUP.name)
    conf.register_group(keystone_opts.fresh_group(API_GROUP))
    conf.register_opts(API_OPTS, group=API_GROUP.name)
    ks_loading.register_session_conf_options(conf, API_GROUP.name)
    ks_loading.register_auth_conf_options(conf, API_GROUP.name)
    conf.register_opts(_adapter_opts(), group=API_GROUP)


def list_opts():
    return [
        (SCHEDULER_GROUP, copy.deepcopy(SCHEDULER_OPTS)),
        (API_GROUP, copy.deepcopy(API_OPTS) +
         keystone_opts.sample_opts(_adapter_opts())),
    ]
