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

"""Quotas on light snapshots, checked before a create reaches a compute.

Per project: ``lightsnap_snapshots`` (how many) and
``lightsnap_snapshot_megabytes`` (the sizes the API reports, summed and
rounded up to MiB); per instance:
``lightsnap_snapshots_per_instance`` (the chain depth; oslo.limit knows
only projects, so its limit is read like the others, for the instance's
project, and checked here against the instance).

A new snapshot's size is known only once its compute has taken it: at
create it counts as one MiB, so a create is refused once a project's
megabytes have reached their limit, and a project may end above it by
what its last snapshots hold.

A create checks twice, as Nova does with oslo.limit: once before it
claims anything (a quick refusal, nothing written), then again inside the
transaction that inserts its rows, after them (delta 0), with the
project's instance rows held, so that of two creates racing for the last
unit exactly one commits and the other is rolled back. The recheck uses
the limits and the list of instances that the first check read: nothing
but the database is asked while the rows are held.
"""

from nova_lightsnap.api.quota import limits
from nova_lightsnap.api.quota import resources
from nova_lightsnap.db import usage as db_usage
from nova_lightsnap import exception

# A new snapshot's MiB before its compute reports its size.
NEW_SNAPSHOT_MEGABYTES = 1


def _by_project(members):
    """{project_id: [instance uuids]} of [(uuid, project_id)]."""
    projects = {}
    for uuid, project_id in members:
        projects.setdefault(project_id, []).append(uuid)
    return projects


def check(svc, members):
    """Raise QuotaExceeded if one more snapshot of each of ``members``
    ([(instance uuid, project_id)]) would go over a limit; else what
    :func:`recheck` needs."""
    usage = resources.ProjectUsage(svc)
    checker = limits.make(svc.conf, usage)
    _check(checker, members, None, False)
    return checker, usage


def recheck(checked, members, context):
    """:func:`check` again, once the new rows are in ``context``'s
    transaction (so they count in the usage: delta 0). The limits, and the
    instances that exist, are those the first check read: nothing but the
    database is asked while the rows are held."""
    checker, usage = checked
    usage.context = context
    _check(checker, members, context, True)


def _check(checker, members, context, recheck):
    for project_id, uuids in sorted(_by_project(members).items()):
        _enforce(checker, project_id, len(uuids), recheck)
        depth = checker.limits(
            project_id, [resources.SNAPSHOTS_PER_INSTANCE])[
            resources.SNAPSHOTS_PER_INSTANCE]
        if depth < 0:
            continue
        for uuid in uuids:
            have = db_usage.instance_depth(uuid, context=context)
            if have + (0 if recheck else 1) > depth:
                raise exception.QuotaExceeded(
                    'quota exceeded for %s: limit %d, usage %d, requested '
                    '%d (instance %s)' % (
                        resources.SNAPSHOTS_PER_INSTANCE, depth,
                        have - (1 if recheck else 0), 1, uuid))


def _enforce(checker, project_id, count, recheck):
    try:
        checker.enforce(project_id, {
            resources.SNAPSHOTS: 0 if recheck else count,
            resources.SNAPSHOT_MEGABYTES: NEW_SNAPSHOT_MEGABYTES * count})
    except exception.QuotaExceeded as exc:
        if not recheck or exc.kwargs.get('resource') != resources.SNAPSHOTS:
            raise
        # Said as the first check says it: the usage before this create.
        raise exception.QuotaExceeded(
            resource=resources.SNAPSHOTS, limit=exc.kwargs['limit'],
            usage=exc.kwargs['usage'] - count, requested=count)


def hold(members, context):
    """Serialise the creates of ``members``' projects: call first in the
    transaction that will insert the rows."""
    db_usage.lock_projects({p for u, p in members}, context=context)


def show(svc, project_id):
    """{resource: {'limit': n, 'usage': n}} of ``project_id`` (-1: no
    limit); the per-instance one has no project usage (None)."""
    usage = resources.ProjectUsage(svc)
    checker = limits.make(svc.conf, usage)
    limit_of = checker.limits(project_id, list(resources.ALL))
    used = usage(project_id, list(resources.PROJECT))
    return {name: {'limit': limit_of[name], 'usage': used.get(name)}
            for name in resources.ALL}
