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

"""The panel offers what the API's policy allows: each action declares the
API rules it needs (policy_rules), Horizon checks them against the
defaults the panel ships (the API's own) and the user's roles."""

import inspect
import os
from unittest import mock

from django.urls import reverse
from horizon import tables as horizon_tables
from openstack_dashboard.management.commands import dump_default_policies
from openstack_dashboard.test import helpers
import yaml

from horizon_panel.api import lightsnap as api
from horizon_panel.api import nova_names
from horizon_panel.dashboards.project.lightsnap import tables
from nova_lightsnap.api import policies
from tests.unit.horizon_panel import base

INDEX = reverse('horizon:project:lightsnap:index')
DETAIL = reverse('horizon:project:lightsnap:detail', args=[base.UUID1])
DEFAULTS = os.path.join(os.path.dirname(tables.__file__), '..', '..', '..',
                        'conf', 'default_policies', 'lightsnap.yaml')


def _actions():
    return [cls for _name, cls in inspect.getmembers(tables, inspect.isclass)
            if issubclass(cls, horizon_tables.Action) and
            cls.__module__ == tables.__name__ and
            not cls.__name__.startswith('_')]


class PolicyFilesTest(base.TestCase):

    def test_every_action_declares_rules_of_the_api(self):
        known = {rule.name for rule in policies.list_rules()}
        for cls in _actions():
            self.assertTrue(cls.policy_rules, cls.__name__)
            for scope, rule in cls.policy_rules:
                self.assertEqual('lightsnap', scope)
                self.assertIn(rule, known, cls.__name__)

    def test_the_shipped_defaults_are_the_apis(self):
        with open(DEFAULTS) as f:
            shipped = yaml.safe_load(f)
        expected = [dump_default_policies._format_default_policy(rule)
                    for rule in policies.list_rules()]
        self.assertEqual(expected, shipped,
                         'regenerate with manage.py dump_default_policies '
                         '--namespace lightsnap (horizon_panel/README.rst)')


class ReaderTests(base.TestCase):
    """A project reader sees the instances and snapshots, and is offered
    nothing to do with them."""

    def _setup_user(self, **kwargs):
        kwargs.setdefault('roles', [{'id': '3', 'name': 'reader'}])
        super()._setup_user(**kwargs)

    @helpers.create_mocks({api: ['instance_list']})
    def test_instances_without_actions(self):
        self.mock_instance_list.return_value = [
            base.instance(base.UUID1, enabled=False),
            base.instance(base.UUID2, daily=True, store=True)]
        with mock.patch.object(nova_names, 'server_names', return_value={}):
            res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        rows = res.context['instances_table'].get_rows()
        self.assertEqual({base.UUID1, base.UUID2}, {r.datum.id for r in rows})
        html = res.content.decode()
        for action in ('enable', 'disable', 'daily_on', 'daily_off',
                       'store_on', 'store_off', 'commit_all'):
            self.assertNotIn('instances__%s__' % action, html)
        self.assertNotIn(reverse('horizon:project:lightsnap:take_snapshot',
                                 args=[base.UUID2]), html)

    @helpers.create_mocks({api: ['instance_get', 'snapshot_list']})
    def test_snapshots_without_actions(self):
        self.mock_instance_get.return_value = base.instance()
        self.mock_snapshot_list.return_value = [base.snapshot('s1')]
        with mock.patch.object(nova_names, 'server_name', return_value=None):
            res = self.client.get(DETAIL)
        self.assertEqual(200, res.status_code)
        html = res.content.decode()
        self.assertIn('s1', html)
        self.assertNotIn('snapshots__revert__s1', html)
        self.assertNotIn('snapshots__delete__s1', html)
        self.assertNotIn('/export', html)

    def test_a_crafted_post_is_refused_before_the_api(self):
        with mock.patch.object(api, 'instance_update') as update, \
                mock.patch.object(api, 'instance_list',
                                  return_value=[base.instance()]), \
                mock.patch.object(nova_names, 'server_names',
                                  return_value={}):
            res = self.client.post(INDEX, {
                'action': 'instances__daily_on__%s' % base.UUID1})
        update.assert_not_called()
        self.assertEqual(1, len(self.messages_of(res, 'error')))
