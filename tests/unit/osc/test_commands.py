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

"""The ``openstack light`` commands: argument parsing, output, --wait."""

import io
import json
from unittest import mock

import fixtures
from osc_lib import exceptions as osc_exc

from nova_lightsnap import client as client_mod
from nova_lightsnap.osc import plugin
from nova_lightsnap.osc import progress
from nova_lightsnap.osc.v1 import instances
from nova_lightsnap.osc.v1 import limits
from nova_lightsnap.osc.v1 import sets
from nova_lightsnap.osc.v1 import snapshots
from tests.support import testcase
from tests.unit.client import fake_api


class CommandTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.api = fake_api.FakeAPI(steps=3)
        self.uuid = self.api.add_instance(project='p1')
        self.app = mock.Mock()
        self.app.client_manager.light = fake_api.client(self.api)
        self.app.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MockPatchObject(progress, 'POLL_INTERVAL', 0))
        self.useFixture(fixtures.MockPatchObject(progress.sys, 'stderr',
                                                 self.stderr))

    def run_cmd(self, cls, *argv):
        """Parse ``argv`` as cliff does and run: returns stdout."""
        cmd = cls(self.app, None)
        parser = cmd.get_parser('openstack light')
        cmd.run(parser.parse_args(list(argv)))
        return self.app.stdout.getvalue()

    def parse(self, cls, *argv):
        return cls(self.app, None).get_parser('x').parse_args(list(argv))


class LimitsCommandTest(CommandTest):

    def test_show_limits_of_the_own_project(self):
        self.api.add_snapshot(self.uuid, 's1')
        rows = json.loads(self.run_cmd(limits.ShowLimits, '-f', 'json'))
        self.assertEqual([
            {'Resource': 'lightsnap_snapshot_megabytes', 'Limit': -1,
             'Usage': 0},
            {'Resource': 'lightsnap_snapshots', 'Limit': 10, 'Usage': 1},
            {'Resource': 'lightsnap_snapshots_per_instance', 'Limit': 4,
             'Usage': None}], rows)

    def test_another_project_is_asked_by_its_id(self):
        exc = self.assertRaises(client_mod.Forbidden, self.run_cmd,
                                limits.ShowLimits, '--project', 'p2')
        self.assertIn('lightsnap:limits:show', str(exc))
        self.assertTrue(self.api.urls[-1].endswith(
            '/v1/limits?project_id=p2'), self.api.urls[-1])


class SnapshotCommandsTest(CommandTest):

    def test_create_wait_json(self):
        out = self.run_cmd(snapshots.CreateSnapshot, self.uuid, '--name',
                           's1', '--quiesce', 'off', '--wait', '-f', 'json')
        snap = json.loads(out)
        self.assertEqual('available', snap['state'])
        self.assertEqual(100, snap['progress'])
        self.assertEqual({'name': 's1', 'quiesce': 'off'},
                         self.api.requests[0][3])
        self.assertEqual('snapshot s1: creating 33%\n'
                         'snapshot s1: creating 66%\n'
                         'snapshot s1: available 100%\n',
                         self.stderr.getvalue())

    def test_create_without_wait_returns_at_once(self):
        out = self.run_cmd(snapshots.CreateSnapshot, self.uuid, '-f',
                           'value', '-c', 'state')
        self.assertEqual('creating\n', out)
        self.assertEqual('', self.stderr.getvalue())

    def test_quiesce_choices_checked(self):
        self.assertRaises(SystemExit, self.parse, snapshots.CreateSnapshot,
                          self.uuid, '--quiesce', 'maybe')

    def test_list_columns(self):
        self.api.add_snapshot(self.uuid, 's1')
        self.api.add_snapshot(self.uuid, 's2')
        rows = json.loads(self.run_cmd(snapshots.ListSnapshot, self.uuid,
                                       '-f', 'json'))
        self.assertEqual(['s1', 's2'], [r['Name'] for r in rows])
        self.assertEqual(['Name', 'State', 'Progress', 'Created At',
                          'Quiesced', 'Set', 'Size', 'Error'],
                         list(rows[0]))

    def test_list_table(self):
        self.api.add_snapshot(self.uuid, 's1')
        out = self.run_cmd(snapshots.ListSnapshot, self.uuid)
        self.assertIn('| s1   | available |', out)

    def test_show_missing_raises_api_message(self):
        exc = self.assertRaises(client_mod.NotFound, self.run_cmd,
                                snapshots.ShowSnapshot, self.uuid, 'nope')
        self.assertEqual('snapshot nope not found', str(exc))

    def test_delete_several_one_after_the_other(self):
        for name in ('a', 'b', 'c'):
            self.api.add_snapshot(self.uuid, name)
        self.run_cmd(snapshots.DeleteSnapshot, self.uuid, 'a', 'c')
        self.assertEqual(['b'], self.api.names(self.uuid))

    def test_delete_wait_shows_progress(self):
        self.api.add_snapshot(self.uuid, 'a')
        self.run_cmd(snapshots.DeleteSnapshot, self.uuid, 'a', '--wait')
        self.assertEqual([], self.api.names(self.uuid))
        self.assertIn('delete a: deleting 66%', self.stderr.getvalue())

    def test_revert_wait_failure_has_api_error(self):
        self.api.add_snapshot(self.uuid, 's1')
        self.api.fail['reverting'] = 'the guest did not stop'
        exc = self.assertRaises(client_mod.OperationFailed, self.run_cmd,
                                snapshots.RevertSnapshot, self.uuid, 's1',
                                '--wait')
        self.assertEqual('the guest did not stop', str(exc))

    def test_revert_wait_ends_on_a_stored_snapshot(self):
        self.api.add_snapshot(self.uuid, 's1', state='stored')
        out = self.run_cmd(snapshots.RevertSnapshot, self.uuid, 's1',
                           '--wait', '-f', 'json')
        self.assertEqual('stored', json.loads(out)['state'])

    def test_export_needs_file(self):
        self.assertRaises(SystemExit, self.parse, snapshots.ExportSnapshot,
                          self.uuid, 's1')
        self.api.add_snapshot(self.uuid, 's1')
        out = self.run_cmd(snapshots.ExportSnapshot, self.uuid, 's1',
                           '--file', 'out.qcow2', '--wait', '-f', 'json')
        self.assertEqual('available', json.loads(out)['state'])
        self.assertEqual({'file': 'out.qcow2'}, self.api.requests[0][3])


class InstanceCommandsTest(CommandTest):

    def test_set_flags(self):
        args = self.parse(instances.SetInstance, self.uuid, '--enable',
                          '--no-daily')
        self.assertEqual((True, False, None),
                         (args.enable, args.daily, args.store))
        self.run_cmd(instances.SetInstance, self.uuid, '--disable',
                     '--daily', '--store')
        self.assertEqual({'enabled': False, 'daily': True, 'store': True},
                         self.api.requests[-1][3])

    def test_set_conflicting_flags_refused(self):
        self.assertRaises(SystemExit, self.parse, instances.SetInstance,
                          self.uuid, '--daily', '--no-daily')

    def test_set_nothing_refused_before_any_request(self):
        self.assertRaises(osc_exc.CommandError, self.run_cmd,
                          instances.SetInstance, self.uuid)
        self.assertEqual([], self.api.requests)

    def test_show_task_is_an_object_in_json(self):
        self.api.instances[self.uuid]['task'] = {
            'op': 'delete', 'state': 'running', 'progress': 40,
            'error': None}
        inst = json.loads(self.run_cmd(instances.ShowInstance, self.uuid,
                                       '-f', 'json'))
        self.assertEqual(40, inst['task']['progress'])
        table = self.run_cmd(instances.ShowInstance, self.uuid)
        self.assertIn("op='delete'", table)

    def test_list_all_projects(self):
        self.api.add_instance(project='p2')
        rows = json.loads(self.run_cmd(instances.ListInstance, '-f', 'json'))
        self.assertEqual([self.uuid], [r['UUID'] for r in rows])
        self.assertRaises(client_mod.Forbidden, self.run_cmd,
                          instances.ListInstance, '--all-projects')


class SetCommandsTest(CommandTest):

    def setUp(self):
        super().setUp()
        self.other = self.api.add_instance(project='p1')

    def test_create_restore_delete_by_name(self):
        out = self.run_cmd(sets.CreateSet, 'dev', '--instance', self.uuid,
                           '--instance', self.other, '--wait', '-f', 'json')
        created = json.loads(out)
        self.assertEqual('available', created['state'])
        self.assertEqual([self.uuid, self.other], created['instances'])
        self.app.stdout = io.StringIO()
        out = self.run_cmd(sets.RestoreSet, 'dev', '--wait', '-f', 'json')
        self.assertEqual('available', json.loads(out)['state'])
        self.assertIn('/v1/sets/%s/restore' % created['id'],
                      [r[1] for r in self.api.requests])
        self.run_cmd(sets.DeleteSet, created['id'], '--wait')
        self.assertEqual({}, self.api.sets)

    def test_create_needs_an_instance(self):
        self.assertRaises(SystemExit, self.parse, sets.CreateSet, 'dev')

    def test_unknown_set(self):
        exc = self.assertRaises(osc_exc.CommandError, self.run_cmd,
                                sets.ShowSet, 'nope')
        self.assertIn("no snapshot set with id or name 'nope'", str(exc))

    def test_ambiguous_name(self):
        for _ in range(2):
            self.api.h_create_set({'project': 'p1'},
                                  {'name': 'x', 'instances': []})
        exc = self.assertRaises(osc_exc.CommandError, self.run_cmd,
                                sets.ShowSet, 'x')
        self.assertIn('set-1, set-2', str(exc))

    def test_list(self):
        self.run_cmd(sets.CreateSet, 'dev', '--instance', self.uuid)
        self.app.stdout = io.StringIO()
        rows = json.loads(self.run_cmd(sets.ListSet, '-f', 'json'))
        self.assertEqual(['dev'], [r['Name'] for r in rows])
        self.assertEqual([self.uuid], rows[0]['Instances'])


class ProgressTest(testcase.TestCase):

    def test_tty_rewrites_one_line(self):
        stream = io.StringIO()
        stream.isatty = lambda: True
        p = progress.Progress('delete s1', stream)
        p(None, 'deleting', 5)
        p(None, 'deleting', 5)
        p(None, 'deleting', 100)
        p.close()
        self.assertEqual('\rdelete s1: deleting 5%'
                         '\rdelete s1: deleting 100%\n', stream.getvalue())


class PluginTest(testcase.TestCase):

    def instance(self, auth_type='none', **config):
        inst = mock.Mock()
        inst._api_version = {'light': '1'}
        inst._cli_options.config = dict(auth_type=auth_type, **config)
        inst._cli_options.auth = {}
        inst.session = None
        return inst

    def test_noauth_client(self):
        client = plugin.make_client(self.instance(
            lightsnap_endpoint='http://127.0.0.1:1',
            lightsnap_project_id='p9', lightsnap_roles='admin, member'))
        self.assertIsInstance(client, client_mod.Client)
        self.assertEqual({'X-Project-Id': 'p9', 'X-User-Id': 'p9',
                          'X-Roles': 'admin,member'},
                         client.http.adapter.additional_headers)

    def test_noauth_needs_endpoint_and_project(self):
        exc = self.assertRaises(osc_exc.CommandError, plugin.make_client,
                                self.instance(lightsnap_project_id='p'))
        self.assertIn('--os-lightsnap-endpoint', str(exc))
        exc = self.assertRaises(osc_exc.CommandError, plugin.make_client,
                                self.instance(lightsnap_endpoint='http://x'))
        self.assertIn('--os-lightsnap-project-id', str(exc))

    def test_keystone_uses_catalog(self):
        inst = self.instance(auth_type='password')
        inst.interface, inst.region_name = 'internal', 'R1'
        adapter = plugin.make_client(inst).http.adapter
        self.assertEqual(('lightsnap', 'internal', 'R1', None),
                         (adapter.service_type, adapter.interface,
                          adapter.region_name, adapter.endpoint_override))

    def test_unknown_version(self):
        inst = self.instance()
        inst._api_version = {'light': '2'}
        self.assertRaises(osc_exc.UnsupportedVersion, plugin.make_client,
                          inst)
