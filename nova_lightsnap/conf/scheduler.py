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

"""The ``[scheduler]`` options of lightsnap-scheduler: when the daily
snapshots are taken and how many are kept."""

import copy

from oslo_config import cfg

from nova_lightsnap.conf import keystone

SCHEDULER_GROUP = cfg.OptGroup(
    'scheduler', title='Daily snapshots',
    help='When lightsnap-scheduler takes the daily snapshots and how many '
         'it keeps.')

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


def register_opts(conf):
    conf.register_group(keystone.fresh_group(SCHEDULER_GROUP))
    conf.register_opts(SCHEDULER_OPTS, group=SCHEDULER_GROUP.name)


def list_opts():
    return [(SCHEDULER_GROUP, copy.deepcopy(SCHEDULER_OPTS))]
