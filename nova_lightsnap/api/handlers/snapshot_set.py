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

"""/v1/sets: snapshot sets, one point in time across several instances
of one compute host."""

from nova_lightsnap.api import lookup
from nova_lightsnap.api.objects import snapshot_set
from nova_lightsnap.api.policies import snapshot as snapshot_policies
from nova_lightsnap.api.policies import snapshot_set as policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import schemas
from nova_lightsnap.api import util
from nova_lightsnap.api import views


def _accepted(started):
    return util.json_response(202, {'set': views.snapshot_set(*started)})


def create(req):
    ctx = lookup.context(req)
    policy.authorize(req, policies.CREATE, ctx.project_id)
    body = util.extract_json(req, schemas.SET_CREATE)
    name = snapshot_set.check_name(body['name'])
    members = []
    for uuid in body['instances']:
        found, row = lookup.instance(req, uuid)
        policy.authorize(req, snapshot_policies.CREATE, row.project_id)
        members.append((found, row))
    return _accepted(snapshot_set.create(lookup.service(req), ctx, name,
                                         members, body.get('quiesce', 'auto')))


def list_sets(req):
    project_id = lookup.list_scope(req, policies.LIST)
    return util.json_response(200, {'sets': [
        views.snapshot_set(*s) for s in snapshot_set.list_of(project_id)]})


def get_set(req, set_id):
    row = lookup.snapshot_set(req, set_id)
    policy.authorize(req, policies.SHOW, row.project_id)
    # The row as looked up: a deletion that ends meanwhile must not turn
    # a GET into a 500 (the next GET says 404).
    return util.json_response(200, {'set': views.snapshot_set(
        row, snapshot_set.members(row.id))})


def _members(req, row):
    return [lookup.instance(req, uuid)[0]
            for uuid in snapshot_set.members(row.id)]


def restore(req, set_id):
    row = lookup.snapshot_set(req, set_id)
    policy.authorize(req, policies.RESTORE, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    return _accepted(snapshot_set.restore(lookup.service(req),
                                          lookup.context(req),
                                          row, _members(req, row)))


def delete(req, set_id):
    row = lookup.snapshot_set(req, set_id)
    policy.authorize(req, policies.DELETE, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    return _accepted(snapshot_set.delete(lookup.service(req),
                                         lookup.context(req),
                                         row, _members(req, row)))
