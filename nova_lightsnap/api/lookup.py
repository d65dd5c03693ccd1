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

"""The instances and sets a request may see, with their database rows.

An instance exists for a caller when the source of instances
(:mod:`nova_lightsnap.api.servers`) knows it and it belongs to the caller's
project, or the caller may act on all projects; anything else is 404, so a
project cannot even learn that another project's instance exists.
"""

import re

from nova_lightsnap.api.objects import instance as instance_obj
from nova_lightsnap.api import policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import servers
from nova_lightsnap.api import util
from nova_lightsnap.db import api as db_api
from nova_lightsnap import exception
from nova_lightsnap import names

# \Z, not $: "$" also matches before a final newline, and libvirt finds
# the domain of "<uuid>\n" (a fuzzed path's commit-all was accepted).
_UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}\Z')
_SET_ID = re.compile(r'^[1-9][0-9]{0,9}\Z')
_MAX_SET_ID = 2 ** 31 - 1  # an Integer column on every backend
ALL_PROJECTS = policies.instance.ALL_PROJECTS


def service(req):
    return req.environ['lightsnap.service']


def context(req):
    return req.environ['lightsnap.context']


def all_projects(req):
    return policy.allowed(req, ALL_PROJECTS, context(req).project_id)


def list_scope(req, rule):
    """The project a listing covers: the caller's, or None (every project)
    with ``?all_projects=1`` when the policy allows it."""
    ctx = context(req)
    policy.authorize(req, rule, ctx.project_id)
    if util.query_flag(req, 'all_projects'):
        policy.authorize(req, ALL_PROJECTS, ctx.project_id)
        return None
    return ctx.project_id


def _not_found(uuid):
    return exception.NotFound('no instance %s in your project'
                              % names.clip(uuid))


def _source_call(func, *args):
    try:
        return func(*args)
    except servers.SourceError as exc:
        raise exception.ServiceUnavailable(
            'the owners of instances cannot be read: %s' % exc)


def server(req, uuid):
    if not _UUID.match(uuid):
        raise _not_found(uuid)
    found = _source_call(service(req).source.get, uuid)
    if found is None or (found.project_id != context(req).project_id and
                         not all_projects(req)):
        raise _not_found(uuid)
    return found


def servers_of(req, project_id):
    """The instances of ``project_id`` (None: every project)."""
    return _source_call(service(req).source.list, project_id)


def instance(req, uuid):
    """(the server, its database row as the compute says it is now), or
    404; the row is created on first sight."""
    found = server(req, uuid)
    svc, ctx = service(req), context(req)
    row, synced = instance_obj.record(svc, ctx, found)
    return found, row if synced else instance_obj.refresh(svc, ctx, found,
                                                          row)


def snapshot_set(req, set_id):
    try:
        # Only the id as the API writes it: int() would also take " 1",
        # "+1" or "\uff11", and a number no database column holds.
        if not _SET_ID.match(set_id) or int(set_id) > _MAX_SET_ID:
            raise ValueError(set_id)
        row = db_api.snapshot_set_get(int(set_id))
    except (ValueError, exception.NotFound):
        raise exception.NotFound('no snapshot set %s in your project'
                                 % names.clip(set_id))
    if row.project_id != context(req).project_id and not all_projects(req):
        raise exception.NotFound('no snapshot set %s in your project'
                                 % names.clip(set_id))
    return row
