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

"""The Horizon panel end to end: a real Horizon, a real lightsnap-api, a
real libvirt domain, and headless Chromium clicking through the panel.

Horizon logs in against tests.support.keystone (a keystone v3 stand-in
whose catalog points 'lightsnap' at the API); the API runs embedded with
SQLite and noauth, trusting the X-Project-Id/X-User-Id/X-Roles headers the
panel sends with the token. After each click the domain's data is read
back per snapshot (EngineTestCase.verify). The last run's screenshots are
kept in $LIGHTSNAP_TEST_DIR/horizon-e2e/ and their paths printed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from testtools import content

from tests.functional.api import base as api_base
from tests.functional import base
from tests.support import browser
from tests.support import dbservers
from tests.support import domains
from tests.support import keystone

USER, PASSWORD = 'demo', 'e2e-secret'
# ms: one operation on a TCG domain, or a page of a Horizon that compiles
# its stylesheets on first use, on a machine busy with the rest of the suite
UI_TIMEOUT = 120000
# A merge of that many MiB at 1 MiB/s: an 8 MiB one had ended before a busy
# machine's browser had the page that the delete redirects to.
MERGE_MIB = 16


class DashboardEndToEndTest(base.EngineTestCase):
    disks = {'vda': 'file'}
    disk_size = 2 * MERGE_MIB * 1024 * 1024  # fill_around writes it twice

    def setUp(self):
        super().setUp()
        self.sync_api = browser.sync_api()
        if self.sync_api is None:
            self.skipTest('needs playwright (pip) and chromium (Debian)')
        self.uuid = self.vm.domain.UUIDString()
        work = tempfile.mkdtemp(prefix='horizon-e2e-', dir=domains.TEST_DIR)
        self.addCleanup(shutil.rmtree, work, True)
        self.keystone = keystone.Keystone(USER, PASSWORD, 'e2e-project',
                                          lightsnap_url=None)
        self.project = self.keystone.project['id']
        projects = os.path.join(work, 'projects.json')
        with open(projects, 'w') as f:
            json.dump({self.uuid: self.project}, f)
        self.api = self.useFixture(api_base.APIServer(
            work, 'sqlite:///' + os.path.join(work, 'api.sqlite'),
            {'api': {'local_projects_file': projects,
                     'state_dir': self.vm.state_dir,
                     'export_dir': os.path.join(work, 'exports'),
                     'job_timeout': '120',
                     # A merge of MERGE_MIB takes that many seconds: long
                     # enough for the panel to show its percent.
                     'merge_bandwidth': '1'}}))
        self.addOnException(self._logs)
        self.keystone.lightsnap_url = 'http://127.0.0.1:%d' % self.api.port
        server, self.keystone_url = keystone.serve(self.keystone)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.horizon_url = self._start_horizon(work)
        self.shot = browser.Screenshots(self, 'horizon-e2e').shot

    def _start_horizon(self, work):
        port = dbservers.free_port()
        self.horizon_log = os.path.join(work, 'horizon.log')
        env = dict(os.environ,
                   LIGHTSNAP_HORIZON_KEYSTONE_URL=self.keystone_url + '/v3',
                   LIGHTSNAP_HORIZON_STATE=os.path.join(work, 'horizon'),
                   DJANGO_SETTINGS_MODULE='tests.support.horizon_settings')
        top = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        with open(self.horizon_log, 'w') as out:
            proc = subprocess.Popen(
                [sys.executable, '-m', 'tests.support.horizon_server',
                 str(port)], cwd=top, env=env, stdout=out,
                stderr=subprocess.STDOUT)
        self.addCleanup(self._stop, proc)
        url = 'http://127.0.0.1:%d' % port
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail('horizon exited: %s' % api_base.tail(
                    self.horizon_log))
            try:
                urllib.request.urlopen(url + '/auth/login/', timeout=30)
                return url
            except OSError:
                time.sleep(0.2)
        self.fail('horizon did not answer: %s' % api_base.tail(
            self.horizon_log))

    @staticmethod
    def _stop(proc):
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _logs(self, exc_info):
        self.addDetail('horizon-log', content.text_content(
            api_base.tail(self.horizon_log)))
        self.addDetail('api-log', content.text_content(self.api.output()))

    # -- the browser ---------------------------------------------------

    def row_action(self, page, row, selector):
        browser.row_action(row, selector)

    def confirm(self, page):
        browser.confirm(page)

    def instance_idle(self):
        """The API's task on the instance is over (the UI shows the
        outcome; the data checks need the merge to be finished)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _h, body = self.api.client.request(
                'GET', '/v1/instances/%s' % self.uuid, project=self.project)
            self.assertEqual(200, status, body)
            if body['instance']['state'] != 'busy':
                return body['instance']
            time.sleep(0.2)
        self.fail('the instance stayed busy: %s' % body)

    def test_take_revert_delete(self):
        with self.sync_api.sync_playwright() as pw:
            chromium = browser.launch(pw)
            try:
                self._drive(chromium.new_page(
                    viewport={'width': 1280, 'height': 720}))
            finally:
                chromium.close()

    def _drive(self, page):
        expect = self.sync_api.expect
        page.set_default_timeout(UI_TIMEOUT)
        expect.set_options(timeout=UI_TIMEOUT)

        page.goto(self.horizon_url +
                  '/auth/login/?next=/project/lightsnap/')
        page.fill('#id_username', USER)
        page.fill('#id_password', PASSWORD)
        page.click('#loginBtn')
        page.wait_for_url('**/project/lightsnap/')
        row = page.locator('#instances__row__%s' % self.uuid)
        expect(row).to_contain_text('No')
        expect(page.locator('.nav a[href="/project/lightsnap/"]')
               .first).to_be_visible()

        # Enable, then Take snapshot (modal form) of what was written.
        self.row_action(page, row,
                        '#instances__row_%s__action_enable' % self.uuid)
        expect(row.locator('td').nth(1)).to_have_text('Yes')
        self.shot(page, 'enabled')
        self.write_all()
        self.row_action(page, row, '#instances__row_%s__action_'
                        'take_snapshot' % self.uuid)
        form = page.locator('#lightsnap_take_snapshot_form')
        form.locator('#id_name').fill('s1')
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        page.wait_for_url('**/project/lightsnap/instances/%s/'
                          % self.uuid)
        s1 = page.locator('#snapshots__row__s1')
        expect(s1).to_contain_text('available')
        self.model.create('s1')
        self.instance_idle()
        self.shot(page, 'taken')
        self.verify('after Take snapshot s1')

        # A second snapshot over new data, then Revert to s1.
        self.write_all()
        self._take(page, 's2')
        self.write_all()
        self.row_action(page, s1, '#snapshots__row_s1__action_revert')
        self.confirm(page)
        expect(page.locator('.alert-success')).to_contain_text(
            'Reverting to snapshot')
        self.model.revert('s1')
        self.instance_idle()
        expect(page.locator('#snapshots__row__s1')).to_contain_text(
            'available')
        self.shot(page, 'reverted')
        self.verify('after Revert to s1')

        # Delete s2: its row leaves the table once the merge is done.
        s2 = page.locator('#snapshots__row__s2')
        self.row_action(page, s2, '#snapshots__row_s2__action_delete')
        self.confirm(page)
        expect(page.locator('.alert-success')).to_contain_text(
            'Deleting snapshot')
        expect(page.locator('#snapshots__row__s2')).to_have_count(0)
        self.model.delete('s2')
        self.instance_idle()
        self.shot(page, 'deleted')
        self.verify('after Delete s2')
        self._merge_progress(page)

        # An API refusal is a Horizon message, not an error page: s1
        # exists already.
        page.locator('#snapshots__action_take_snapshot').click()
        form = page.locator('#lightsnap_take_snapshot_form')
        form.locator('#id_name').fill('s1')
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        expect(page.locator('.alert-danger')).to_contain_text(
            'Unable to take the snapshot.')
        expect(page.locator('.alert-danger')).to_contain_text("'s1'")
        self.shot(page, 'refused')
        self.verify('after the refused duplicate')

        page.goto(self.horizon_url + '/project/lightsnap/')
        row = page.locator('#instances__row__%s' % self.uuid)
        expect(row.locator('td').nth(4)).to_have_text('1')
        self.shot(page, 'instances')
        self._sets(page)

    def _take(self, page, name):
        expect = self.sync_api.expect
        page.locator('#snapshots__action_take_snapshot').click()
        form = page.locator('#lightsnap_take_snapshot_form')
        form.locator('#id_name').fill(name)
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        expect(page.locator('#snapshots__row__%s' % name)).to_contain_text(
            'available')
        self.model.create(name)
        self.instance_idle()

    def _merge_progress(self, page):
        """A long merge shows the block job's percent in its row."""
        self.fill_around('vda', MERGE_MIB, lambda: self._take(page, 'big'))

        big = page.locator('#snapshots__row__big')
        self.row_action(page, big, '#snapshots__row_big__action_delete')
        self.confirm(page)
        # The page the POST redirects to, or the loop below would read the
        # table while it is being replaced, find no row, and end too soon.
        self.sync_api.expect(page.locator('.alert-success')).to_contain_text(
            re.compile('Deleting snapshot.*big'))
        seen, shown = [], None
        deadline = time.monotonic() + 2 * MERGE_MIB + 60
        while time.monotonic() < deadline:
            # Each refresh replaces the row: read it in one go. The percent
            # is the panel's; the bar is Horizon's, as wide as it says.
            rows = page.eval_on_selector_all('#snapshots__row__big', """
                rows => rows.map(row => {
                    const state = row.querySelector('.lightsnap-state');
                    const bar = row.querySelector(
                        '.horizon-loading-bar .progress-bar');
                    return [state && state.getAttribute('percent'),
                            bar && bar.style.width];
                })""")
            if not rows:
                break
            seen.extend(rows)
            percent, width = rows[0]
            if (not shown and percent and width == percent and
                    0 < int(percent.rstrip('%')) < 100):
                shown = self.shot(page, 'merging')
            time.sleep(0.2)
        self.assertEqual(0, page.locator('#snapshots__row__big').count(),
                         'the merge did not end: %s' % seen[-5:])
        self.assertTrue(shown,
                        'no bar between 0 and 100%% was shown during a %d '
                        'MiB merge at 1 MiB/s: %s' % (MERGE_MIB, seen))
        self.model.delete('big')
        self.instance_idle()
        self.verify('after the long merge')

    def _sets(self, page):
        """Create a set over the instance, restore it, delete it."""
        expect = self.sync_api.expect
        page.locator('a[href$="?tab=lightsnap_tabs__sets"]').click()
        self.write_all()
        page.locator('#sets__action_create_set').click()
        form = page.locator('#lightsnap_create_set_form')
        form.locator('#id_name').fill('release')
        form.locator('input[name=instances][value="%s"]' % self.uuid).check()
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        row = page.locator('#sets tbody tr', has_text='release')
        expect(row).to_contain_text('available')
        self.model.create('release')  # the set's name on each member
        self.instance_idle()
        self.shot(page, 'set-created')
        self.verify('after creating the set')

        self.write_all()
        self.row_action(page, row, '[value^="sets__restore_set__"]')
        self.confirm(page)
        expect(page.locator('.alert-success')).to_contain_text('Restoring set')
        self.model.revert('release')
        self.instance_idle()
        self.verify('after restoring the set')

        row = page.locator('#sets tbody tr', has_text='release')
        self.row_action(page, row, '[value^="sets__delete__"]')
        self.confirm(page)
        expect(page.locator('.alert-success')).to_contain_text('Deleting set')
        expect(page.locator('#sets tbody tr', has_text='release')
               ).to_have_count(0)
        self.model.delete('release')
        self.instance_idle()
        self.shot(page, 'set-deleted')
        self.verify('after deleting the set')
