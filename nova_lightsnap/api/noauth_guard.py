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

"""No open door: noauth trusts headers that anyone can send, so
lightsnap-api serves it only on loopback unless the configuration says
otherwise in so many words.

The check reads the configuration and the host's own name resolution
only; it runs before the socket is bound, so a refused start never
listens anywhere.
"""

import ipaddress
import socket


def _addresses(host):
    """Every address ``host`` names, or None when it resolves to none."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    # An IPv6 address may come back with a scope (fe80::1%eth0).
    return [ipaddress.ip_address(info[4][0].split('%')[0])
            for info in infos]


def is_loopback(host):
    """True when every address ``host`` binds to is a loopback address
    (127.0.0.0/8, ::1). The wildcards 0.0.0.0 and :: are not: they listen
    on every interface."""
    addresses = _addresses(host)
    return bool(addresses) and all(a.is_loopback for a in addresses)


def refusal(conf):
    """Why lightsnap-api must not start with ``conf``, or None."""
    api = conf.api
    if (api.auth_strategy != 'noauth' or api.noauth_allow_non_loopback or
            is_loopback(api.bind_host)):
        return None
    return (
        'lightsnap-api: refusing to serve auth_strategy = noauth on %s, '
        'which is not a loopback address: noauth trusts the X-Project-Id '
        'and X-Roles headers of anyone who can reach the port. Use '
        'keystone instead: set [api] auth_strategy = keystone and the '
        '[keystone_authtoken] options (auth_url, www_authenticate_uri, '
        'a service user), or bind to 127.0.0.1. To serve noauth on this '
        'address anyway (a network only trusted callers reach), set '
        '[api] noauth_allow_non_loopback = true.' % api.bind_host)
