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

"""Horizon's test case with a 'lightsnap' service in the user's catalog."""

import copy

from openstack_auth import utils as auth_utils
from openstack_dashboard.test import helpers

from horizon_panel.api import lightsnap as api

LIGHTSNAP_SERVICE = {
    'type': 'lightsnap', 'name': 'lightsnap', 'endpoints_links': [],
    'endpoints': [{'region': 'RegionOne', 'interface': interface,
                   'url': 'http://lightsnap.example.com:8799'}
                  for interface in ('admin', 'internal', 'public')],
}

UUID1 = '0b0c8f5e-0000-4000-8000-000000000001'
UUID2 = '0b0c8f5e-0000-4000-8000-000000000002'


class TestCase(helpers.TestCase):
    with_lightsnap = True
    lightsnap_url = None

    def _setup_user(self, **kwargs):
        catalog = copy.deepcopy(self.service_catalog)
        if self.with_lightsnap:
            service = copy.deepcopy(LIGHTSNAP_SERVICE)
            if self.lightsnap_url:
                for endpoint in service['endpoints']:
                    endpoint['url'] = self.lightsnap_url
            catalog.append(service)
        kwargs.setdefault('service_catalog', catalog)
        super()._setup_user(**kwargs)

    def setUp(self):
        # openstack_auth's middleware patches Django's get_user at its
        # first request; tests that give self.request to the API before
        # any request went through the test client need it done already.
        auth_utils.patch_middleware_get_user()
        super().setUp()

    def messages_of(self, response, level=None):
        from django.contrib import messages
        return [str(m) for m in messages.get_messages(response.wsgi_request)
                if level is None or m.level_tag == level]


def instance(uuid=UUID1, **fields):
    data = {'uuid': uuid, 'project_id': '1', 'host': 'compute1',
            'enabled': True, 'daily': False, 'store': False,
            'committed': False, 'snapshot_index': 2, 'root_index': 0,
            'snapshot_count': 2, 'last_snapshot_at': '2026-11-22T03:00:00Z',
            'state': 'idle', 'task': None}
    data.update(fields)
    return api.Instance(data)


def snapshot(name='before-upgrade', uuid=UUID1, **fields):
    data = {'name': name, 'instance_uuid': uuid, 'state': 'available',
            'progress': 100, 'created_at': '2026-11-22T03:00:00Z',
            'quiesced': True, 'set_id': None, 'size': 3 * 1024 * 1024,
            'error': None}
    data.update(fields)
    return api.Snapshot(data)


def snapshot_set(set_id='set-1', **fields):
    data = {'id': set_id, 'name': 'release', 'project_id': '1',
            'state': 'available', 'instances': [UUID1, UUID2],
            'created_at': '2026-11-22T03:00:00Z', 'error': None}
    data.update(fields)
    return api.SnapshotSet(data)
