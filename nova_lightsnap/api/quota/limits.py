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

"""Where the limits come from: the configuration file (the embedded mode)
or keystone's unified limits through oslo.limit. Both answer the same two
questions, for one create, given how to read the usage:
``limits(project_id, names)`` and ``enforce(project_id, deltas)``."""

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions
from oslo_limit import exception as limit_exceptions
from oslo_limit import limit as oslo_limit

from nova_lightsnap.api.quota import oslo_limit_conf
from nova_lightsnap.api.quota import resources
from nova_lightsnap import exception


def over_limit(resource, limit, usage, requested):
    return exception.QuotaExceeded(resource=resource, limit=limit,
                                   usage=usage, requested=requested)


class Limits(object):
    """The limits of one create, read once and kept: its recheck, made
    while the project's rows are held, asks nothing but the database."""

    def __init__(self, usage):
        self.usage = usage
        self._read = {}

    def limits(self, project_id, names):
        missing = [n for n in names if (project_id, n) not in self._read]
        if missing:
            for name, limit in self._fetch(project_id, missing).items():
                self._read[(project_id, name)] = limit
        return {n: self._read[(project_id, n)] for n in names}

    def enforce(self, project_id, deltas):
        """As oslo.limit's flat model: usage + delta over a limit that is
        not -1 (unlimited) is refused, the resources in name order."""
        limits = {name: limit for name, limit in
                  self.limits(project_id, sorted(deltas)).items()
                  if limit >= 0}
        if not limits:
            # Unlimited (the config default): not even a count.
            return
        names = sorted(limits)
        usage = self.usage(project_id, names)
        for name in names:
            if limits[name] < usage[name] + deltas[name]:
                raise over_limit(name, limits[name], usage[name],
                                 deltas[name])


class ConfigLimits(Limits):
    """The same limits for every project, from ``[quota]``."""

    def __init__(self, conf, usage):
        super().__init__(usage)
        self.conf = conf

    def _fetch(self, project_id, names):
        return {name: getattr(self.conf.quota, resources.OPTIONS[name])
                for name in names}


class UnifiedLimits(Limits):
    """Keystone's project limits, or its registered limits for a project
    with none (a resource with neither: 0), read through oslo.limit; one
    per create, so that a limit changed in keystone counts from the next
    create on."""

    def __init__(self, conf, usage):
        super().__init__(usage)
        oslo_limit_conf.load(conf)
        try:
            self.enforcer = oslo_limit.Enforcer(usage)
        except _KEYSTONE_ERRORS as exc:
            raise _unavailable(exc)

    def _fetch(self, project_id, names):
        try:
            return dict(self.enforcer.get_project_limits(project_id, names))
        except _KEYSTONE_ERRORS as exc:
            raise _unavailable(exc)


# What oslo.limit raises when keystone cannot answer, or when [oslo_limit]
# does not name an endpoint it knows (ValueError).
_KEYSTONE_ERRORS = (limit_exceptions.SessionInitError,
                    ks_exceptions.ClientException,
                    sdk_exceptions.SDKException, ValueError)


def _unavailable(exc):
    return exception.ServiceUnavailable(
        'the limits cannot be read from keystone ([quota] driver = '
        'unified_limits, [oslo_limit] options): %s' % exc)


DRIVERS = {'config': ConfigLimits, 'unified_limits': UnifiedLimits}


def make(conf, usage):
    """The limits of ``[quota] driver``; ``usage(project_id, names)`` gives
    the usage of a project, {name: amount}."""
    return DRIVERS[conf.quota.driver](conf, usage)
