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

"""The resources that the quotas limit, by their names in keystone's
unified limits (service lightsnap), and how much of each a project uses
now."""

from nova_lightsnap.api import servers
from nova_lightsnap.db import usage as db_usage
from nova_lightsnap import exception

SNAPSHOTS = 'lightsnap_snapshots'
SNAPSHOT_MEGABYTES = 'lightsnap_snapshot_megabytes'
SNAPSHOTS_PER_INSTANCE = 'lightsnap_snapshots_per_instance'

# Per project; oslo.limit counts them.
PROJECT = (SNAPSHOTS, SNAPSHOT_MEGABYTES)
ALL = PROJECT + (SNAPSHOTS_PER_INSTANCE,)

MIB = 1024 * 1024

# Their [quota] options, for driver = config.
OPTIONS = {SNAPSHOTS: 'snapshots',
           SNAPSHOT_MEGABYTES: 'snapshot_megabytes',
           SNAPSHOTS_PER_INSTANCE: 'snapshots_per_instance'}


class ProjectUsage(object):
    """The usage callback of oslo.limit (and of the config limits): the
    snapshots of the project's instances that the source of instances
    still knows, read inside ``context``'s transaction when it is in one
    (set it for a recheck). The source is asked once per project."""

    def __init__(self, svc, context=None):
        self.svc = svc
        self.context = context
        self._live = {}

    def __call__(self, project_id, names):
        if project_id not in self._live:
            self._live[project_id] = _live_instances(self.svc, project_id)
        count, size = db_usage.project_usage(
            project_id, self._live[project_id], context=self.context)
        have = {SNAPSHOTS: count, SNAPSHOT_MEGABYTES: megabytes(size)}
        return {name: have[name] for name in names if name in have}


def megabytes(size):
    """MiB, rounded up: keystone's limits are 32-bit integers, too small
    for bytes (2 GiB at most)."""
    return -(-size // MIB)


def _live_instances(svc, project_id):
    try:
        return [s.uuid for s in svc.source.list(project_id)]
    except servers.SourceError as exc:
        raise exception.ServiceUnavailable(
            'the instances of project %s cannot be listed for its quotas: '
            '%s' % (project_id, exc))
