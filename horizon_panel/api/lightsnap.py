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

"""The lightsnap REST API through its client library
(:mod:`nova_lightsnap.client`), called with the logged-in user's token,
as manila-ui calls manilaclient.

Every function takes the Django request first (manila-ui's style) and
returns APIDictWrapper objects, so tables read fields as attributes. The
client's errors (:mod:`nova_lightsnap.client.exceptions`) pass as they
are: Horizon's exception handling knows them from the enabled file.
"""

from django.conf import settings
from openstack_dashboard.api import base

from nova_lightsnap import client

SERVICE_TYPE = 'lightsnap'


class Instance(base.APIDictWrapper):
    _attrs = ('uuid', 'project_id', 'host', 'enabled', 'daily', 'store',
              'committed', 'snapshot_index', 'root_index', 'snapshot_count',
              'last_snapshot_at', 'state', 'task')

    def __init__(self, apidict, name=None):
        super().__init__(apidict)
        self.id = apidict['uuid']
        # Nova's name when the compute API is there; the uuid otherwise.
        self.name = name or apidict['uuid']


class Snapshot(base.APIDictWrapper):
    _attrs = ('name', 'instance_uuid', 'state', 'progress', 'created_at',
              'quiesced', 'set_id', 'size', 'error')

    def __init__(self, apidict):
        super().__init__(apidict)
        self.id = apidict['name']


class SnapshotSet(base.APIDictWrapper):
    _attrs = ('id', 'name', 'project_id', 'state', 'instances',
              'created_at', 'error')


def is_available(request):
    return base.is_service_enabled(request, SERVICE_TYPE)


def _endpoint(request):
    """The service root (the client adds /v1); the catalog may name the
    root or its /v1."""
    url = base.url_for(request, SERVICE_TYPE).rstrip('/')
    if url.endswith('/v1'):
        url = url[:-len('/v1')]
    return url


def _verify():
    if getattr(settings, 'OPENSTACK_SSL_NO_VERIFY', False):
        return False
    return getattr(settings, 'OPENSTACK_SSL_CACERT', None) or True


def lightsnapclient(request):
    """A client acting as the logged-in user.

    X-Auth-Token is what keystonemiddleware validates; the project, user
    and roles headers are what the API trusts in noauth mode.
    """
    user = request.user
    adapter = client.token_adapter(
        _endpoint(request), user.token.id, project_id=user.project_id,
        user_id=user.id,
        roles=[role['name'] for role in (user.roles or ())],
        verify=_verify(),
        timeout=getattr(settings, 'LIGHTSNAP_API_TIMEOUT', 60))
    return client.Client(adapter)


def instance_list(request):
    return [Instance(i) for i in lightsnapclient(request).list_instances()]


def instance_get(request, uuid):
    return Instance(lightsnapclient(request).get_instance(uuid))


def instance_update(request, uuid, **flags):
    """flags: enabled, daily, store (booleans)."""
    return Instance(lightsnapclient(request).update_instance(uuid, **flags))


def instance_commit_all(request, uuid):
    return Instance(lightsnapclient(request).commit_all(uuid))


def snapshot_list(request, uuid):
    return [Snapshot(s) for s in lightsnapclient(request).list_snapshots(uuid)]


def snapshot_get(request, uuid, name):
    return Snapshot(lightsnapclient(request).get_snapshot(uuid, name))


def snapshot_create(request, uuid, name=None, quiesce=None):
    # An empty form field means "not given": the API's default name.
    return Snapshot(lightsnapclient(request).create_snapshot(
        uuid, name=name or None, quiesce=quiesce or None))


def snapshot_delete(request, uuid, name):
    return Snapshot(lightsnapclient(request).delete_snapshot(uuid, name))


def snapshot_revert(request, uuid, name):
    return Snapshot(lightsnapclient(request).revert_snapshot(uuid, name))


def snapshot_export(request, uuid, name, file):
    return Snapshot(lightsnapclient(request).export_snapshot(uuid, name,
                                                             file))


def set_list(request):
    return [SnapshotSet(s) for s in lightsnapclient(request).list_sets()]


def set_get(request, set_id):
    return SnapshotSet(lightsnapclient(request).get_set(set_id))


def set_create(request, name, instances, quiesce=None):
    return SnapshotSet(lightsnapclient(request).create_set(
        name, instances, quiesce=quiesce or None))


def set_restore(request, set_id):
    return SnapshotSet(lightsnapclient(request).restore_set(set_id))


def set_delete(request, set_id):
    return SnapshotSet(lightsnapclient(request).delete_set(set_id))
