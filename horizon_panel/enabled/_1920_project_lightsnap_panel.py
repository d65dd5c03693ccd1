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

# "Light Snapshots" under Project > Compute. Copy or link this file into
# openstack_dashboard/local/enabled/ to turn the panel on.
from nova_lightsnap.client import exceptions as _client_exc

PANEL = 'lightsnap'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'compute'
ADD_PANEL = 'horizon_panel.dashboards.project.lightsnap.panel.LightSnap'
ADD_INSTALLED_APPS = ['horizon_panel']
# The API's errors (as its client raises them) become Horizon messages
# instead of error pages, and a vanished snapshot or set drops out of an
# auto-refreshing table.
ADD_EXCEPTIONS = {
    'recoverable': (_client_exc.ClientError,),
    'not_found': (_client_exc.NotFound,),
}
