"""The policy enforcer of the service (rules in nova_lightsnap.api.policies,
overridable with a policy file, ``[oslo_policy] policy_file``)."""

from oslo_policy import policy

from nova_lightsnap.api import errors
from nova_lightsnap.api import policies


def make_enforcer(conf):
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def authorize(req, rule, project_id):
    """Raise 403 unless the caller may do ``rule`` on ``project_id``'s
    resource."""
    ctx = req.environ['lightsnap.context']
    enforcer = req.environ['lightsnap.enforcer']
    target = {'project_id': project_id}
    try:
        enforcer.authorize(rule, target, ctx.to_policy_values(),
                           do_raise=True)
    except policy.PolicyNotAuthorized:
        raise errors.Forbidden('policy does not allow %s' % rule)


def allowed(req, rule, project_id):
    ctx = req.environ['lightsnap.context']
    enforcer = req.environ['lightsnap.enforcer']
    return enforcer.authorize(rule, {'project_id': project_id},
                              ctx.to_policy_values())
