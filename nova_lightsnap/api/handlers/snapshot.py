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

"""/v1/instances/{uuid}/snapshots: the light snapshots of an instance."""

from nova_lightsnap.api import lookup
from nova_lightsnap.api.objects import snapshot
from nova_lightsnap.api.policies import snapshot as policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import schemas
from nova_lightsnap.api import util
from nova_lightsnap.api import views


def _accepted(snap):
    return util.json_response(202, {'snapshot': views.snapshot(snap)})


def create(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.CREATE, row.project_id)
    body = util.extract_json(req, schemas.SNAPSHOT_CREATE)
    return _accepted(snapshot.create(
        lookup.service(req), lookup.context(req), found, row,
        body.get('name'), body.get('quiesce', 'auto')))


def list_snapshots(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.LIST, row.project_id)
    return util.json_response(200, {'snapshots': [
        views.snapshot(s) for s in snapshot.list_of(uuid)]})


def get_snapshot(req, uuid, name):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.SHOW, row.project_id)
    return util.json_response(
        200, {'snapshot': views.snapshot(snapshot.get(uuid, name))})


def delete(req, uuid, name):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.DELETE, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    return _accepted(snapshot.delete(
        lookup.service(req), lookup.context(req), found, row, name))


def revert(req, uuid, name):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.REVERT, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    return _accepted(snapshot.revert(
        lookup.service(req), lookup.context(req), found, row, name))


def export(req, uuid, name):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.EXPORT, row.project_id)
    body = util.extract_json(req, schemas.SNAPSHOT_EXPORT)
    return _accepted(snapshot.export(
        lookup.service(req), lookup.context(req), found, row, name,
        body['file']))
