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

"""Every page and action of the panel, through Django's test client.

The panel's api module is mocked at its boundary (horizon_panel.api.lightsnap);
tests/unit/horizon_panel/test_api.py proves that module against a real HTTP
server, and tests/functional/test_dashboard_e2e.py the whole path.
"""

import re
from unittest import mock

from django.http import QueryDict
from django.urls import reverse
import horizon
from openstack_dashboard import api as os_api
from openstack_dashboard.dashboards.project.instances import tabs as nova_tabs
from openstack_dashboard.test import helpers

from horizon_panel.api import lightsnap as api
from horizon_panel.api import nova_names
from nova_lightsnap.client import exceptions as client_exc
from tests.unit.horizon_panel import base

INDEX = reverse('horizon:project:lightsnap:index')
SETS = INDEX + '?tab=lightsnap_tabs__sets'
DETAIL = reverse('horizon:project:lightsnap:detail', args=[base.UUID1])
TAKE = reverse('horizon:project:lightsnap:take_snapshot', args=[base.UUID1])
EXPORT = reverse('horizon:project:lightsnap:export',
                 args=[base.UUID1, 'before-upgrade'])
CREATE_SET = reverse('horizon:project:lightsnap:create_set')
AJAX = {'HTTP_X_REQUESTED_WITH': 'XMLHttpRequest'}


def conflict(message='Another operation runs on the instance; wait.'):
    return client_exc.Conflict(message)


class NoNames(object):
    """Nova's names are looked up by nova_names; most tests skip that."""

    def setUp(self):
        super().setUp()
        names = mock.patch.object(nova_names, 'server_names', return_value={})
        name = mock.patch.object(nova_names, 'server_name', return_value=None)
        self.mock_server_names = names.start()
        self.mock_server_name = name.start()


class IndexTests(base.TestCase):

    @helpers.create_mocks({api: ['instance_list'],
                           os_api.nova: ['server_list']})
    def test_instances_with_the_six_fields_and_nova_names(self):
        server = self.servers.first()
        self.mock_server_list.return_value = ([server], False)
        self.mock_instance_list.return_value = [
            base.instance(server.id, daily=True, store=False,
                          snapshot_count=3,
                          last_snapshot_at='2026-11-21T22:10:00Z'),
            base.instance(base.UUID2, enabled=False, snapshot_count=0,
                          last_snapshot_at=None, state='busy',
                          task={'op': 'commit-all', 'state': 'running',
                                'progress': 40, 'error': None}),
        ]
        res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, 'horizon/common/_detail.html')
        table = res.context['instances_table']
        rows = {r.datum.id: r for r in table.get_rows()}
        named = rows[server.id]
        self.assertEqual(server.name, named.cells['name'].data)
        self.assertEqual('Yes', str(named.cells['enabled'].data))
        self.assertEqual('Yes', str(named.cells['daily'].data))
        self.assertEqual('No', str(named.cells['store'].data))
        self.assertEqual(3, named.cells['snapshot_count'].data)
        self.assertEqual('2026-11-21T22:10:00Z',
                         named.cells['last_snapshot_at'].data)
        self.assertEqual('idle', named.cells['state'].data)
        busy = rows[base.UUID2]
        self.assertEqual(base.UUID2, busy.cells['name'].data)
        self.assertEqual('-', busy.cells['last_snapshot_at'].data)
        self.assertIn('percent="40%"', str(busy.cells['state'].data))
        self.assertContains(res, 'commit-all 40%')
        # A busy row keeps polling (status unknown), an idle one does not.
        self.assertIsNone(busy.status)
        self.assertTrue(named.status)
        self.mock_instance_list.assert_called_once_with(
            helpers.IsHttpRequest())

    @helpers.create_mocks({api: ['instance_list']})
    def test_row_actions_follow_the_flags(self):
        self.mock_instance_list.return_value = [
            base.instance(base.UUID1, enabled=False, snapshot_count=0),
            base.instance(base.UUID2, daily=True, store=True)]
        with mock.patch.object(nova_names, 'server_names', return_value={}):
            res = self.client.get(INDEX)
        html = res.content.decode()
        self.assertIn('instances__enable__%s' % base.UUID1, html)
        self.assertNotIn('instances__disable__%s' % base.UUID1, html)
        self.assertNotIn('instances__daily_on__%s' % base.UUID1, html)
        self.assertNotIn('instances__commit_all__%s' % base.UUID1, html)
        self.assertIn('instances__disable__%s' % base.UUID2, html)
        self.assertIn('instances__daily_off__%s' % base.UUID2, html)
        self.assertIn('instances__commit_all__%s' % base.UUID2, html)
        # The store is the admin's (the API's policy): a member is offered
        # neither.
        self.assertNotIn('instances__store_', html)
        self.assertIn(reverse('horizon:project:lightsnap:take_snapshot',
                              args=[base.UUID2]), html)

    @helpers.create_mocks({api: ['instance_list']})
    def test_api_error_is_a_message_not_a_traceback(self):
        self.mock_instance_list.side_effect = client_exc.ServiceUnavailable(
            'The compute host does not answer.')
        with mock.patch.object(nova_names, 'server_names', return_value={}):
            res = self.client.get(INDEX)
        self.assertEqual(200, res.status_code)
        self.assertEqual(
            ['Unable to list the instances. '
             'The compute host does not answer.'],
            self.messages_of(res, 'error'))
        self.assertEqual([], res.context['instances_table'].data)


class HiddenPanelTests(base.TestCase):
    with_lightsnap = False

    def test_panel_hidden_without_lightsnap_in_catalog(self):
        panel = horizon.get_dashboard('project').get_panel('lightsnap')
        self.assertFalse(self.request.user.has_perms(panel.permissions))
        # Horizon refuses the panel's URLs to a user without the service.
        res = self.client.get(INDEX)
        self.assertEqual(403, res.status_code)


class MenuTests(base.TestCase):

    def test_panel_accessible_with_lightsnap(self):
        panel = horizon.get_dashboard('project').get_panel('lightsnap')
        self.assertTrue(self.request.user.has_perms(panel.permissions))

    @helpers.create_mocks({api: ['instance_list']})
    def test_panel_in_project_compute(self):
        self.mock_instance_list.return_value = []
        dashboard = horizon.get_dashboard('project')
        panel = dashboard.get_panel('lightsnap')
        self.assertEqual('Light Snapshots', str(panel.name))
        self.assertIn(panel, dashboard.get_panel_group('compute'))
        with mock.patch.object(nova_names, 'server_names', return_value={}):
            res = self.client.get(INDEX)
        self.assertContains(res, 'href="%s"' % INDEX)
        self.assertContains(res, 'Light Snapshots')


class InstanceActionTests(NoNames, base.TestCase):

    def post_action(self, action, instance):
        with mock.patch.object(api, 'instance_list',
                               return_value=[instance]):
            return self.client.post(INDEX, {
                'action': 'instances__%s__%s' % (action, instance.id)})

    def check_flag(self, action, before, flag, value):
        with mock.patch.object(api, 'instance_update') as update:
            update.return_value = base.instance()
            res = self.post_action(action, base.instance(**before))
        self.assertRedirectsNoFollow(res, INDEX)
        update.assert_called_once_with(helpers.IsHttpRequest(), base.UUID1,
                                       **{flag: value})
        self.assertEqual([], self.messages_of(res, 'error'))
        self.assertEqual(1, len(self.messages_of(res, 'success')))

    def test_enable(self):
        self.check_flag('enable', {'enabled': False}, 'enabled', True)

    def test_disable(self):
        self.check_flag('disable', {}, 'enabled', False)

    def test_daily_on(self):
        self.check_flag('daily_on', {}, 'daily', True)

    def test_daily_off(self):
        self.check_flag('daily_off', {'daily': True}, 'daily', False)

    def check_refused(self, action, before):
        # A crafted POST: the action is not allowed, the API not called.
        with mock.patch.object(api, 'instance_update') as update:
            res = self.post_action(action, base.instance(**before))
        update.assert_not_called()
        self.assertEqual(1, len(self.messages_of(res, 'error')))
        self.assertEqual([], self.messages_of(res, 'success'))

    def test_store_on_refused_to_a_member(self):
        self.check_refused('store_on', {})

    def test_store_off_refused_to_a_member(self):
        self.check_refused('store_off', {'store': True})

    def test_refused_flag_shows_the_api_message(self):
        with mock.patch.object(api, 'instance_update') as update:
            update.side_effect = conflict(
                'The instance has 2 snapshots; delete them or commit all '
                'before disabling.')
            res = self.post_action('disable', base.instance())
        self.assertRedirectsNoFollow(res, INDEX)
        self.assertEqual(
            ['Unable to disable light snapshots. The instance has 2 '
             'snapshots; delete them or commit all before disabling.'],
            self.messages_of(res, 'error'))
        self.assertEqual([], self.messages_of(res, 'success'))

    def test_action_not_allowed_does_not_call_the_api(self):
        with mock.patch.object(api, 'instance_update') as update:
            res = self.post_action('enable', base.instance(enabled=True))
        update.assert_not_called()
        self.assertEqual(1, len(self.messages_of(res, 'error')))

    def test_commit_all(self):
        with mock.patch.object(api, 'instance_commit_all') as commit:
            commit.return_value = base.instance(state='busy')
            res = self.post_action('commit_all', base.instance())
        self.assertRedirectsNoFollow(res, INDEX)
        commit.assert_called_once_with(helpers.IsHttpRequest(), base.UUID1)

    def test_commit_all_error(self):
        with mock.patch.object(api, 'instance_commit_all') as commit:
            commit.side_effect = conflict()
            res = self.post_action('commit_all', base.instance())
        self.assertIn('Another operation runs on the instance; wait.',
                      self.messages_of(res, 'error')[0])

    @helpers.create_mocks({api: ['instance_get']})
    def test_instance_row_update(self):
        self.mock_instance_get.return_value = base.instance(
            state='busy', task={'op': 'commit-all', 'state': 'running',
                                'progress': 75, 'error': None})
        self.mock_server_name.return_value = 'web-1'
        res = self.client.get(INDEX, {'action': 'row_update',
                                      'table': 'instances',
                                      'obj_id': base.UUID1}, **AJAX)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'percent="75%"')
        self.assertContains(res, 'web-1')
        self.mock_instance_get.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1)


class AdminInstanceActionTests(NoNames, base.TestCase):
    """An administrator of the cloud (the admin role) has the store."""

    def _setup_user(self, **kwargs):
        kwargs.setdefault('roles', [{'id': '1', 'name': 'admin'},
                                    {'id': '2', 'name': 'member'}])
        super()._setup_user(**kwargs)

    post_action = InstanceActionTests.post_action
    check_flag = InstanceActionTests.check_flag

    def test_store_on(self):
        self.check_flag('store_on', {}, 'store', True)

    def test_store_off(self):
        self.check_flag('store_off', {'store': True}, 'store', False)

    @helpers.create_mocks({api: ['instance_list']})
    def test_store_actions_offered(self):
        self.mock_instance_list.return_value = [
            base.instance(base.UUID1),
            base.instance(base.UUID2, store=True),
            base.instance('0b0c8f5e-0000-4000-8000-000000000003',
                          enabled=False)]
        html = self.client.get(INDEX).content.decode()
        self.assertIn('instances__store_on__%s' % base.UUID1, html)
        self.assertNotIn('instances__store_off__%s' % base.UUID1, html)
        self.assertIn('instances__store_off__%s' % base.UUID2, html)
        self.assertNotIn('instances__store_on__%s' % base.UUID2, html)
        # Not on an instance without light snapshots, admin or not.
        self.assertNotIn('instances__store_on__0b0c8f5e-0000-4000-8000-'
                         '000000000003', html)


class TakeSnapshotTests(NoNames, base.TestCase):

    def test_form(self):
        res = self.client.get(TAKE)
        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, 'lightsnap/take_snapshot.html')
        self.assertContains(res, 'name="quiesce"')
        self.assertContains(res, 'value="%s"' % base.UUID1)

    @helpers.create_mocks({api: ['snapshot_create']})
    def test_take(self):
        self.mock_snapshot_create.return_value = base.snapshot(
            'nightly', state='creating')
        res = self.client.post(TAKE, {'instance_id': base.UUID1,
                                      'name': 'nightly',
                                      'quiesce': 'required'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, DETAIL)
        self.mock_snapshot_create.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, name='nightly',
            quiesce='required')
        self.assertEqual(['Taking snapshot "nightly".'],
                         self.messages_of(res, 'success'))

    @helpers.create_mocks({api: ['snapshot_create']})
    def test_take_without_name(self):
        self.mock_snapshot_create.return_value = base.snapshot('snap-0003')
        res = self.client.post(TAKE, {'instance_id': base.UUID1, 'name': '',
                                      'quiesce': 'auto'})
        self.assertRedirectsNoFollow(res, DETAIL)
        self.mock_snapshot_create.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, name=None, quiesce='auto')

    @helpers.create_mocks({api: ['snapshot_create']})
    def test_bad_name_is_refused_before_the_api(self):
        for name in ('../etc', 'a/b', '-x', 'x' * 129):
            res = self.client.post(TAKE, {'instance_id': base.UUID1,
                                          'name': name, 'quiesce': 'auto'})
            self.assertEqual(200, res.status_code)
            self.assertIn('name', res.context['form'].errors)
        res = self.client.post(TAKE, {'instance_id': base.UUID1,
                                      'name': 'ok', 'quiesce': 'always'})
        self.assertIn('quiesce', res.context['form'].errors)
        self.mock_snapshot_create.assert_not_called()

    @helpers.create_mocks({api: ['snapshot_create']})
    def test_api_error(self):
        self.mock_snapshot_create.side_effect = client_exc.BadRequest(
            'quiesce=required: the guest agent does not '
            'answer.')
        res = self.client.post(TAKE, {'instance_id': base.UUID1,
                                      'name': 'x', 'quiesce': 'required'})
        self.assertRedirectsNoFollow(res, DETAIL)
        self.assertEqual(
            ['Unable to take the snapshot. quiesce=required: the guest agent '
             'does not answer.'], self.messages_of(res, 'error'))


class DetailTests(NoNames, base.TestCase):

    @helpers.create_mocks({api: ['instance_get', 'snapshot_list']})
    def test_snapshots_with_progress(self):
        self.mock_instance_get.return_value = base.instance()
        self.mock_server_name.return_value = 'web-1'
        self.mock_snapshot_list.return_value = [
            base.snapshot('before-upgrade', size=5 * 1024 * 1024),
            base.snapshot('old', state='deleting', progress=40)]
        res = self.client.get(DETAIL)
        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, 'lightsnap/detail.html')
        self.assertContains(res, 'Light snapshots of web-1')
        rows = {r.datum.name: r for r in res.context['table'].get_rows()}
        self.assertEqual('available', rows['before-upgrade'].cells[
            'state'].data)
        self.assertEqual('5.0\xa0MB', str(rows['before-upgrade'].cells[
            'size'].data))
        self.assertEqual('2026-11-22T03:00:00Z', rows['old'].cells[
            'created_at'].data)
        self.assertIn('percent="40%"', str(rows['old'].cells[
            'state'].data))
        self.assertIsNone(rows['old'].status)
        html = res.content.decode()
        self.assertIn('snapshots__revert__before-upgrade', html)
        self.assertIn('snapshots__delete__before-upgrade', html)
        self.assertIn(EXPORT, html)
        # Nothing but waiting on a snapshot that is being deleted.
        self.assertNotIn('snapshots__delete__old', html)
        self.assertNotIn('snapshots__revert__old', html)

    @helpers.create_mocks({api: ['instance_get']})
    def test_unknown_instance_goes_back_with_a_message(self):
        self.mock_instance_get.side_effect = client_exc.NotFound(
            'No instance %s in your project.' % base.UUID1)
        with mock.patch.object(api, 'snapshot_list', return_value=[]):
            res = self.client.get(DETAIL)
        self.assertRedirectsNoFollow(res, INDEX)
        self.assertEqual(['Unable to read the instance. No instance %s in '
                          'your project.' % base.UUID1],
                         self.messages_of(res, 'error'))

    @helpers.create_mocks({api: ['snapshot_get']})
    def test_row_update_progress(self):
        self.mock_snapshot_get.return_value = base.snapshot(
            state='deleting', progress=63)
        res = self.client.get(DETAIL, {'action': 'row_update',
                                       'table': 'snapshots',
                                       'obj_id': 'before-upgrade'}, **AJAX)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'percent="63%"')
        self.assertContains(res, 'deleting 63%')
        self.mock_snapshot_get.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, 'before-upgrade')

    @helpers.create_mocks({api: ['snapshot_get']})
    def test_row_update_of_a_deleted_snapshot_is_404(self):
        # Horizon's table script removes the row on 404.
        self.mock_snapshot_get.side_effect = client_exc.NotFound(
            'No snapshot before-upgrade.')
        res = self.client.get(DETAIL, {'action': 'row_update',
                                       'table': 'snapshots',
                                       'obj_id': 'before-upgrade'}, **AJAX)
        self.assertEqual(404, res.status_code)

    def post_action(self, action, snap):
        with mock.patch.object(api, 'snapshot_list', return_value=[snap]), \
                mock.patch.object(api, 'instance_get',
                                  return_value=base.instance()):
            return self.client.post(DETAIL, {
                'action': 'snapshots__%s__%s' % (action, snap.name)})

    @helpers.create_mocks({api: ['snapshot_revert']})
    def test_revert(self):
        self.mock_snapshot_revert.return_value = base.snapshot(
            state='reverting')
        res = self.post_action('revert', base.snapshot())
        self.assertRedirectsNoFollow(res, DETAIL)
        self.mock_snapshot_revert.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, 'before-upgrade')
        self.assertEqual(1, len(self.messages_of(res, 'success')))

    @helpers.create_mocks({api: ['snapshot_revert']})
    def test_revert_error(self):
        self.mock_snapshot_revert.side_effect = conflict()
        res = self.post_action('revert', base.snapshot())
        self.assertEqual(['Unable to revert to the snapshot. Another '
                          'operation runs on the instance; wait.'],
                         self.messages_of(res, 'error'))

    @helpers.create_mocks({api: ['snapshot_delete']})
    def test_delete(self):
        self.mock_snapshot_delete.return_value = base.snapshot(
            state='deleting')
        res = self.post_action('delete', base.snapshot())
        self.assertRedirectsNoFollow(res, DETAIL)
        self.mock_snapshot_delete.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, 'before-upgrade')

    @helpers.create_mocks({api: ['snapshot_delete']})
    def test_delete_error(self):
        self.mock_snapshot_delete.side_effect = client_exc.NotFound(
            'No snapshot before-upgrade.')
        res = self.post_action('delete', base.snapshot())
        self.assertEqual(['Unable to delete the snapshot. No snapshot '
                          'before-upgrade.'], self.messages_of(res, 'error'))

    def test_revert_and_delete_ask_for_confirmation(self):
        with mock.patch.object(api, 'snapshot_list',
                               return_value=[base.snapshot()]), \
                mock.patch.object(api, 'instance_get',
                                  return_value=base.instance()):
            res = self.client.get(DETAIL)
        # Horizon's scripts ask for confirmation on btn-danger buttons.
        for action in ('revert', 'delete'):
            value = 'value="snapshots__%s__before-upgrade"' % action
            buttons = [tag for tag in re.findall(r'<button[^>]*>',
                                                 res.content.decode())
                       if value in tag]
            self.assertEqual(1, len(buttons), action)
            self.assertIn('btn-danger', buttons[0])

    def test_export_form(self):
        res = self.client.get(EXPORT)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'value="before-upgrade.qcow2"')

    @helpers.create_mocks({api: ['snapshot_export']})
    def test_export(self):
        self.mock_snapshot_export.return_value = base.snapshot(
            state='exporting')
        res = self.client.post(EXPORT, {'instance_id': base.UUID1,
                                        'snapshot_name': 'before-upgrade',
                                        'file': 'backup.qcow2'})
        self.assertRedirectsNoFollow(res, DETAIL)
        self.mock_snapshot_export.assert_called_once_with(
            helpers.IsHttpRequest(), base.UUID1, 'before-upgrade',
            'backup.qcow2')

    @helpers.create_mocks({api: ['snapshot_export']})
    def test_export_bad_file_and_api_error(self):
        res = self.client.post(EXPORT, {'instance_id': base.UUID1,
                                        'snapshot_name': 'before-upgrade',
                                        'file': '/etc/passwd'})
        self.assertIn('file', res.context['form'].errors)
        self.mock_snapshot_export.assert_not_called()
        self.mock_snapshot_export.side_effect = client_exc.Conflict(
            'backup.qcow2 exists in the export directory.')
        res = self.client.post(EXPORT, {'instance_id': base.UUID1,
                                        'snapshot_name': 'before-upgrade',
                                        'file': 'backup.qcow2'})
        self.assertRedirectsNoFollow(res, DETAIL)
        self.assertEqual(['Unable to export the snapshot. backup.qcow2 '
                          'exists in the export directory.'],
                         self.messages_of(res, 'error'))


class SetsTests(NoNames, base.TestCase):

    @helpers.create_mocks({api: ['set_list']})
    def test_sets_tab(self):
        self.mock_server_names.return_value = {base.UUID1: 'web-1'}
        self.mock_set_list.return_value = [
            base.snapshot_set(),
            base.snapshot_set('set-2', name='wip', state='restoring')]
        with mock.patch.object(api, 'instance_list', return_value=[]):
            res = self.client.get(SETS)
        self.assertEqual(200, res.status_code)
        rows = {r.datum.id: r for r in res.context['sets_table'].get_rows()}
        self.assertEqual('release', rows['set-1'].cells['name'].data)
        self.assertEqual('web-1, %s' % base.UUID2,
                         rows['set-1'].cells['instances'].data)
        self.assertIsNone(rows['set-2'].status)
        html = res.content.decode()
        self.assertIn('sets__restore_set__set-1', html)
        self.assertNotIn('sets__restore_set__set-2', html)
        self.assertIn(CREATE_SET, html)

    @helpers.create_mocks({api: ['instance_list']})
    def test_create_form_offers_enabled_instances(self):
        self.mock_instance_list.return_value = [
            base.instance(base.UUID1), base.instance(base.UUID2,
                                                     enabled=False)]
        res = self.client.get(CREATE_SET)
        self.assertEqual(200, res.status_code)
        self.assertEqual([base.UUID1], [
            c[0] for c in res.context['form'].fields['instances'].choices])

    @helpers.create_mocks({api: ['instance_list', 'set_create']})
    def test_create(self):
        self.mock_instance_list.return_value = [
            base.instance(base.UUID1), base.instance(base.UUID2)]
        self.mock_set_create.return_value = base.snapshot_set(
            state='creating')
        res = self.client.post(CREATE_SET, {
            'name': 'release', 'instances': [base.UUID1, base.UUID2],
            'quiesce': 'auto'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, SETS)
        self.mock_set_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'release', [base.UUID1, base.UUID2],
            quiesce='auto')

    @helpers.create_mocks({api: ['instance_list', 'set_create']})
    def test_create_refuses_unknown_instances_and_shows_api_errors(self):
        self.mock_instance_list.return_value = [base.instance(base.UUID1)]
        res = self.client.post(CREATE_SET, {
            'name': 'release', 'instances': [base.UUID2], 'quiesce': 'auto'})
        self.assertIn('instances', res.context['form'].errors)
        self.mock_set_create.assert_not_called()
        self.mock_set_create.side_effect = conflict('A set named release '
                                                    'exists.')
        res = self.client.post(CREATE_SET, {
            'name': 'release', 'instances': [base.UUID1], 'quiesce': 'auto'})
        self.assertRedirectsNoFollow(res, SETS)
        self.assertEqual(['Unable to create the snapshot set. A set named '
                          'release exists.'], self.messages_of(res, 'error'))

    def post_action(self, action, snapshot_set):
        with mock.patch.object(api, 'set_list', return_value=[snapshot_set]), \
                mock.patch.object(api, 'instance_list', return_value=[]):
            return self.client.post(SETS, {
                'action': 'sets__%s__%s' % (action, snapshot_set.id)})

    @helpers.create_mocks({api: ['set_restore']})
    def test_restore(self):
        self.mock_set_restore.return_value = base.snapshot_set(
            state='restoring')
        res = self.post_action('restore_set', base.snapshot_set())
        self.assertEqual(302, res.status_code)
        self.mock_set_restore.assert_called_once_with(
            helpers.IsHttpRequest(), 'set-1')

    @helpers.create_mocks({api: ['set_delete']})
    def test_delete(self):
        self.mock_set_delete.return_value = base.snapshot_set(
            state='deleting')
        res = self.post_action('delete', base.snapshot_set())
        self.assertEqual(302, res.status_code)
        self.mock_set_delete.assert_called_once_with(
            helpers.IsHttpRequest(), 'set-1')

    @helpers.create_mocks({api: ['set_delete']})
    def test_delete_error(self):
        self.mock_set_delete.side_effect = conflict()
        res = self.post_action('delete', base.snapshot_set())
        self.assertEqual(['Unable to delete the snapshot set. Another '
                          'operation runs on the instance; wait.'],
                         self.messages_of(res, 'error'))

    @helpers.create_mocks({api: ['set_get']})
    def test_row_update(self):
        self.mock_set_get.return_value = base.snapshot_set(
            state='error', error='compute1 did not answer')
        res = self.client.get(SETS, {'action': 'row_update', 'table': 'sets',
                                     'obj_id': 'set-1'}, **AJAX)
        self.assertEqual(200, res.status_code)
        self.assertContains(res, 'error (compute1 did not answer)')


class NovaInstanceTabTests(base.TestCase):

    def _tab_group(self, request):
        request.GET = QueryDict('tab=instance_details__lightsnap')
        server = self.servers.first()
        return nova_tabs.InstanceDetailTabs(request, instance=server,
                                            instance_id=server.id), server

    @helpers.create_mocks({api: ['instance_get', 'snapshot_list'],
                           os_api.neutron: ['is_extension_supported']})
    def test_tab_on_nova_instance_detail(self):
        self.mock_is_extension_supported.return_value = False
        group, server = self._tab_group(self.request)
        tab = group.get_tab('lightsnap')
        self.assertIsNotNone(tab)
        self.mock_instance_get.return_value = base.instance(server.id)
        self.mock_snapshot_list.return_value = [
            base.snapshot(uuid=server.id),
            base.snapshot('merging', uuid=server.id, state='deleting',
                          progress=12)]
        html = tab.render()
        self.assertIn('before-upgrade', html)
        self.assertIn('percent="12%"', html)
        self.assertIn(reverse('horizon:project:lightsnap:detail',
                              args=[server.id]), html)
        self.mock_snapshot_list.assert_called_once_with(
            helpers.IsHttpRequest(), server.id)


class NovaInstanceTabHiddenTests(base.TestCase):
    with_lightsnap = False

    @helpers.create_mocks({os_api.neutron: ['is_extension_supported']})
    def test_no_tab_without_lightsnap(self):
        self.mock_is_extension_supported.return_value = False
        server = self.servers.first()
        group = nova_tabs.InstanceDetailTabs(self.request, instance=server,
                                             instance_id=server.id)
        self.assertNotIn('lightsnap', [t.slug for t in group.get_tabs()])


class NovaNamesTests(base.TestCase):

    @helpers.create_mocks({os_api.nova: ['server_list']})
    def test_nova_failure_leaves_uuids(self):
        self.mock_server_list.side_effect = Exception('nova is down')
        self.assertEqual({}, nova_names.server_names(self.request))
