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

"""The policy enforcer of the service (rules in nova_lightsnap.api.policies,
overridable with a policy file, ``[oslo_policy] policy_file``)."""

from oslo_policy import policy

from nova_lightsnap.api import policies
from nova_lightsnap import exception


def make_enforcer(conf):
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def _check(req, rule, project_id, do_raise):
    ctx = req.environ['lightsnap.context']
    enforcer = req.environ['lightsnap.enforcer']
    return enforcer.authorize(rule, {'project_id': project_id},
                              ctx.to_policy_values(), do_raise=do_raise)


def authorize(req, rule, project_id):
    """Raise 403 unless the caller may do ``rule`` on ``project_id``'s
    resource (a token of the wrong scope may not either)."""
    try:
        _check(req, rule, project_id, True)
    except (policy.PolicyNotAuthorized, policy.InvalidScope):
        raise exception.PolicyNotAuthorized(action=rule)


def allowed(req, rule, project_id):
    try:
        return _check(req, rule, project_id, False)
    except policy.InvalidScope:
        return False
