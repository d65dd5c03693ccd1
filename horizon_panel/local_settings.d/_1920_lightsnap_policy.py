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

# The lightsnap API's policy, for Horizon's policy checks: the panel's
# actions declare the API's rules (policy_rules) and are offered only to
# those the policy allows, as Horizon does for its own services. Copy or
# link this file into openstack_dashboard/local/local_settings.d/.
#
# The defaults are the API's own (horizon_panel/conf/default_policies/,
# from `manage.py dump_default_policies --namespace lightsnap`); an
# operator's overrides go in POLICY_FILES_PATH/lightsnap_policy.yaml, a copy
# of the API's [oslo_policy] policy_file (absent: the defaults).
import os as _os

import horizon_panel as _panel


def _add(settings):
    settings['POLICY_FILES']['lightsnap'] = 'lightsnap_policy.yaml'
    settings['DEFAULT_POLICY_FILES']['lightsnap'] = _os.path.join(
        _os.path.dirname(_panel.__file__), 'conf', 'default_policies',
        'lightsnap.yaml')


# Horizon runs this file inside its settings module's namespace.
_add(globals())
