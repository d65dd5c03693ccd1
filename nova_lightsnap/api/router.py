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

"""The URL map: (method, path pattern) -> handler, as placement's
handler.py declares it. Handlers are plain functions of the request and
the path's named parts."""

import re

from nova_lightsnap.api.handlers import instance
from nova_lightsnap.api.handlers import limits
from nova_lightsnap.api.handlers import root
from nova_lightsnap.api.handlers import snapshot
from nova_lightsnap.api.handlers import snapshot_set
from nova_lightsnap import exception
from nova_lightsnap import names

_INSTANCE = '/v1/instances/{uuid}'
_SNAPSHOT = _INSTANCE + '/snapshots/{name}'

ROUTE_DECLARATIONS = {
    '/': {'GET': root.list_versions},
    '/v1': {'GET': root.show_version},
    '/v1/instances': {'GET': instance.list_instances},
    _INSTANCE: {'GET': instance.get_instance,
                'PATCH': instance.update_instance},
    _INSTANCE + '/commit-all': {'POST': instance.commit_all},
    _INSTANCE + '/snapshots': {'GET': snapshot.list_snapshots,
                               'POST': snapshot.create},
    _SNAPSHOT: {'GET': snapshot.get_snapshot, 'DELETE': snapshot.delete},
    _SNAPSHOT + '/revert': {'POST': snapshot.revert},
    _SNAPSHOT + '/export': {'POST': snapshot.export},
    '/v1/sets': {'GET': snapshot_set.list_sets,
                 'POST': snapshot_set.create},
    '/v1/sets/{set_id}': {'GET': snapshot_set.get_set,
                          'DELETE': snapshot_set.delete},
    '/v1/sets/{set_id}/restore': {'POST': snapshot_set.restore},
    '/v1/limits': {'GET': limits.show_limits},
}


def _compile(template):
    # A path part never contains "/"; what it may contain is for the
    # handler to check (names, uuids), with a clear message.
    pattern = re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', template)
    # \Z, not $: "$" also matches before a final newline ("<uuid>%0A").
    return re.compile('^' + pattern + r'/?\Z' if template != '/' else r'^/\Z')


# The longest valid path (a snapshot's export) fits whole in a message;
# a longer one is shown cut.
SHOWN_PATH = 128

ROUTES = [(_compile(t), methods) for t, methods in
          ROUTE_DECLARATIONS.items()]


class Router(object):

    def __call__(self, req):
        try:
            path = req.path_info
        except UnicodeDecodeError:
            # No uuid, name or id is anything but UTF-8.
            raw = req.environ['PATH_INFO'].encode('latin-1').decode(
                'utf-8', 'replace')
            raise exception.NotFound('no resource at %s (the path is not '
                                     'UTF-8)' % names.clip(raw, SHOWN_PATH))
        for pattern, methods in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            handler = methods.get(req.method)
            if handler is None:
                raise exception.MethodNotAllowed(
                    '%s is not allowed on %s; allowed: %s'
                    % (names.clip(req.method),
                       names.clip(path, SHOWN_PATH),
                       ', '.join(sorted(methods))), sorted(methods))
            return handler(req, **match.groupdict())
        raise exception.NotFound('no resource at %s'
                                 % names.clip(path, SHOWN_PATH))
