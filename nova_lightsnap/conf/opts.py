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

"""The options of each service, for ``oslo-config-generator`` and the
documentation (``oslo.config.opts`` entry points of setup.cfg; one
namespace per sample in etc/)."""

from nova_lightsnap.conf import api
from nova_lightsnap.conf import database
from nova_lightsnap.conf import lightsnap
from nova_lightsnap.conf import lightsnap_api
from nova_lightsnap.conf import nova
from nova_lightsnap.conf import quota
from nova_lightsnap.conf import scheduler


def list_opts():
    """Namespace ``nova_lightsnap``: nova.conf's ``[lightsnap]``."""
    return lightsnap.list_opts()


def list_api_opts():
    """Namespace ``nova_lightsnap.api``: lightsnap-api's own groups
    (``[oslo_middleware]`` comes from oslo.middleware's namespace)."""
    return (api.list_opts() + database.list_opts() + nova.list_opts() +
            quota.list_opts())


def list_scheduler_opts():
    """Namespace ``nova_lightsnap.scheduler``."""
    return scheduler.list_opts() + lightsnap_api.list_opts()
