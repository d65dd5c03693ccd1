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

"""Who owns an instance and where it runs: Nova, or the local libvirt host.

``[api] server_source`` picks the source:

``nova``
    openstacksdk with the service user of the ``[nova]`` section: the
    server's ``project_id`` and its compute host
    (``OS-EXT-SRV-ATTR:host``, admin-only in Nova, hence the service user).
``local``
    the embedded default: the instances are the libvirt domains of this
    host (uuid = domain uuid, host = ``[api] compute_host``); their project
    comes from the JSON map ``[api] local_projects_file`` ({uuid:
    project_id}), and ``[api] local_default_project`` for the others.
"""

import collections
import json
import threading

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
import libvirt
from openstack import connection as sdk_connection
from openstack import exceptions as sdk_exceptions

# Nova answering with an error, or Keystone/Nova not reachable at all.
_FAILURES = (sdk_exceptions.SDKException, ks_exceptions.ClientException)

Server = collections.namedtuple('Server', 'uuid project_id host name')


class SourceError(Exception):
    """The source of instances cannot be read; the message says why."""


class LocalServers(object):

    def __init__(self, uri, host, projects_file=None,
                 default_project='default'):
        self.uri = uri
        self.host = host
        self.projects_file = projects_file
        self.default_project = default_project
        self._lock = threading.Lock()
        self._conn = None

    def _projects(self):
        if not self.projects_file:
            return {}
        try:
            with open(self.projects_file) as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SourceError('[api] local_projects_file %s cannot be read: '
                              '%s' % (self.projects_file, exc))
        if not isinstance(data, dict) or not all(
                isinstance(v, str) for v in data.values()):
            raise SourceError('[api] local_projects_file %s must be a JSON '
                              'object {"<domain uuid>": "<project id>"}'
                              % self.projects_file)
        return {k.lower(): v for k, v in data.items()}

    def _connection(self):
        with self._lock:
            if self._conn is None or not self._conn.isAlive():
                try:
                    self._conn = libvirt.open(self.uri)
                except libvirt.libvirtError as exc:
                    raise SourceError('libvirt %s: %s' % (self.uri, exc))
            return self._conn

    def _server(self, dom, projects):
        uuid = dom.UUIDString()
        return Server(uuid, projects.get(uuid, self.default_project),
                      self.host, dom.name())

    def get(self, uuid):
        projects = self._projects()
        try:
            dom = self._connection().lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise SourceError('libvirt %s: %s' % (self.uri, exc))
        return self._server(dom, projects)

    def list(self, project_id=None):
        projects = self._projects()
        try:
            doms = self._connection().listAllDomains(0)
        except libvirt.libvirtError as exc:
            raise SourceError('libvirt %s: %s' % (self.uri, exc))
        servers = []
        for dom in doms:
            try:
                server = self._server(dom, projects)
            except libvirt.libvirtError:
                continue  # undefined meanwhile
            if project_id is None or server.project_id == project_id:
                servers.append(server)
        return sorted(servers, key=lambda s: s.uuid)


class NovaServers(object):

    def __init__(self, connection):
        self.conn = connection

    @classmethod
    def from_conf(cls, conf):
        auth = ks_loading.load_auth_from_conf_options(conf, 'nova')
        session = ks_loading.load_session_from_conf_options(
            conf, 'nova', auth=auth)
        return cls(sdk_connection.Connection(
            session=session, region_name=conf.nova.region_name,
            compute_interface=conf.nova.valid_interfaces[0]
            if conf.nova.valid_interfaces else None))

    @staticmethod
    def _server(server):
        return Server(server.id, server.project_id,
                      server.compute_host, server.name)

    def get(self, uuid):
        try:
            return self._server(self.conn.compute.get_server(uuid))
        except sdk_exceptions.NotFoundException:
            return None
        except _FAILURES as exc:
            raise SourceError('Nova: %s' % exc)

    def list(self, project_id=None):
        query = {'all_projects': True}
        if project_id is not None:
            query['project_id'] = project_id
        try:
            servers = [self._server(s)
                       for s in self.conn.compute.servers(**query)]
        except _FAILURES as exc:
            raise SourceError('Nova: %s' % exc)
        return sorted(servers, key=lambda s: s.uuid)


def get_source(conf):
    if conf.api.server_source == 'nova':
        return NovaServers.from_conf(conf)
    return LocalServers(conf.api.libvirt_uri, conf.api.compute_host,
                        conf.api.local_projects_file,
                        conf.api.local_default_project)
