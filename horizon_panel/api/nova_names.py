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

"""Instance names from Nova, when the cloud has a compute service.

The lightsnap API knows instances by uuid only; names are a courtesy, so
any failure here leaves the uuid in place.
"""

import logging

from openstack_dashboard import api

LOG = logging.getLogger(__name__)


def server_names(request):
    if not api.base.is_service_enabled(request, 'compute'):
        return {}
    try:
        servers, _more = api.nova.server_list(request)
    except Exception as exc:
        LOG.info('no instance names from Nova: %s', exc)
        return {}
    return {s.id: s.name for s in servers}


def server_name(request, uuid):
    if not api.base.is_service_enabled(request, 'compute'):
        return None
    try:
        return api.nova.server_get(request, uuid).name
    except Exception as exc:
        LOG.info('no name from Nova for %s: %s', uuid, exc)
        return None
