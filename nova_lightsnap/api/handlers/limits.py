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

"""The quotas of a project: its limits and what it uses of them."""

from nova_lightsnap.api import lookup
from nova_lightsnap.api.policies import limits as policies
from nova_lightsnap.api import policy
from nova_lightsnap.api import quota
from nova_lightsnap.api import util
from nova_lightsnap import exception
from nova_lightsnap import names

# As long as the database's project_id column.
MAX_PROJECT_ID = 255


def show_limits(req):
    ctx = lookup.context(req)
    project_id = req.GET.get('project_id') or ctx.project_id
    if len(project_id) > MAX_PROJECT_ID:
        raise exception.Invalid('project_id %s is longer than %d characters'
                                % (names.clip(project_id), MAX_PROJECT_ID))
    # Another project's: the rule's project is the one asked for, which
    # only an admin may read.
    policy.authorize(req, policies.SHOW, project_id)
    return util.json_response(200, {'limits': {
        'project_id': project_id,
        'resources': quota.show(lookup.service(req), project_id)}})
