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

"""/v1/instances: the light-snapshot state of the caller's instances."""

from nova_lightsnap.api import lookup
from nova_lightsnap.api.objects import instance
from nova_lightsnap.api.policies import instance as policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import schemas
from nova_lightsnap.api import util
from nova_lightsnap.api import views


def _view(uuid):
    return views.instance(*instance.get(uuid))


def list_instances(req):
    project_id = lookup.list_scope(req, policies.LIST)
    result = []
    for found in lookup.servers_of(req, project_id):
        instance.record(lookup.service(req), lookup.context(req), found)
        result.append(_view(found.uuid))
    return util.json_response(200, {'instances': result})


def get_instance(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.SHOW, row.project_id)
    return util.json_response(200, {'instance': _view(uuid)})


def update_instance(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.UPDATE, row.project_id)
    body = util.extract_json(req, schemas.INSTANCE_UPDATE)
    if 'store' in body:
        policy.authorize(req, policies.UPDATE_STORE, row.project_id)
    instance.update(lookup.service(req), lookup.context(req), found, **body)
    return util.json_response(200, {'instance': _view(uuid)})


def commit_all(req, uuid):
    found, row = lookup.instance(req, uuid)
    policy.authorize(req, policies.COMMIT_ALL, row.project_id)
    util.extract_json(req, schemas.EMPTY)
    started = instance.commit_all(lookup.service(req),
                                  lookup.context(req), found, row)
    return util.json_response(202, {'instance': views.instance(*started)})
