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

"""The Light Snapshots panel of the cloud's Horizon, in headless Chromium.

The demo user logs in through Keystone with Horizon's own login form and
drives the panel over two instances that Nova booted: Enable (on an
instance booted without opting in), Daily on and off, Take, Revert, Delete,
Commit All, and a snapshot set of both instances (create, restore,
delete). Files are written in the guests before each snapshot and read back
in the guests after every step that changes the disks or keeps them.

Store on/off is an administrator's: the demo user must not be offered it;
the admin, in a second browser context, is offered it on an instance of
the admin project and turns it on.

An instance opted in at boot must be listed as enabled (checked without
stopping the test: see _enabled).

Screenshots of the last run are kept in
$LIGHTSNAP_TEST_DIR/horizon-cloud-e2e/ (their paths are details).
$LIGHTSNAP_CLOUD_HORIZON_URL points the test at another Horizon over the
same cloud, e.g. one that runs a branch's panel.
"""

from concurrent import futures
import os
import re
import time
import uuid

from testtools import matchers

from nova_lightsnap.client import http
from nova_lightsnap.client import v1
from tests.support import browser
from tests.system import base

HORIZON = os.environ.get('LIGHTSNAP_CLOUD_HORIZON_URL',
                         'http://127.0.0.1:13080')
PANEL = '/project/lightsnap/'
SETS_TAB = 'a[href$="?tab=lightsnap_tabs__sets"]'
# ms: an operation on a TCG guest, or a Horizon page on a busy machine
UI_TIMEOUT = 180000


def _password():
    with open(os.path.join(base.CLOUD_DIR, 'etc', 'secret')) as f:
        return f.read().strip()


class HorizonPanelTest(base.CloudTestCase):

    def setUp(self):
        super().setUp()
        self.sync_api = browser.sync_api()
        if self.sync_api is None:
            self.skipTest('needs playwright (pip) and chromium (Debian)')
        self.expect = self.sync_api.expect
        self.expect.set_options(timeout=UI_TIMEOUT)
        self.shot = browser.Screenshots(self, 'horizon-cloud-e2e').shot
        self.tag = 'hz-%s' % uuid.uuid4().hex[:6]
        self.files = {}  # server -> {file: text} as the guest must show
        self.servers = []  # (cloud, server), deleted at the end
        for cloud in ('lightsnap-demo', 'lightsnap-admin'):
            self.sdk(cloud)  # closed after the servers are deleted
        self.addCleanup(lambda: self.delete_servers(self.servers))

    # -- instances ------------------------------------------------------

    def create(self, name, *extra, cloud='lightsnap-demo'):
        """Boots without waiting: the guests boot while Chromium starts."""
        server = self.openstack(
            'server', 'create', '--nic', 'none', '--image', base.IMAGE,
            '--flavor', base.FLAVOR, *(extra + ('%s-%s' % (self.tag, name),)),
            cloud=cloud)['id']
        self.servers.append((cloud, server))
        return server

    def delete_servers(self, servers, wait=True):
        """Deletes (cloud, server) pairs together, then waits for them."""
        left = [(cloud, server) for cloud, server in servers
                if self.sdk(cloud).compute.find_server(server)]
        for cloud in {cloud for cloud, _server in left}:
            try:
                self.openstack('server', 'delete', cloud=cloud, parse=False,
                               *[s for c, s in left if c == cloud])
            except base.CommandFailed:
                pass  # some already being deleted: waited for below
        for cloud, server in left if wait else ():
            self.wait_for('server %s' % server, lambda: (
                self.sdk(cloud).compute.find_server(server) and 'present'),
                None)

    def write(self, server, agent, name):
        text = '%s-%s' % (name, time.monotonic_ns())
        base.write_file(agent, name, text)
        self.files.setdefault(server, {})[name] = text

    def check_files(self, server, agent, step):
        self.mark('%s: %s' % (step, server))
        self.assertEqual(self.files.get(server, {}), base.read_files(agent),
                         'the files in the guest of %s, %s' % (server, step))

    def light(self, cloud):
        """The lightsnap API from the catalog, as the cloud's user."""
        return v1.Client(http.keystone_adapter(self.sdk(cloud).session,
                                               interface='public'))

    def settled(self, server):
        """The API's task on the instance is over: the data checks need the
        operation finished, not just shown as started."""
        return self.light_client().wait_instance(server, timeout=600)

    # -- the browser ----------------------------------------------------

    def login(self, chromium, user):
        """Horizon's login form, in a browser context of the user's own.

        The user lands on their settings, not on the panel: the panel's
        first look at an instance still booting would record it before its
        compute answers (see _enabled)."""
        context = chromium.new_context(viewport={'width': 1280,
                                                 'height': 900})
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT)
        page.goto(HORIZON + '/auth/login/?next=/settings/')
        page.fill('#id_username', user)
        page.fill('#id_password', _password())
        page.click('#loginBtn')
        page.wait_for_url('**/settings/**')
        self.mark('%s logged in' % user)
        return page

    def success(self, page, text):
        """The page the POST redirected to: only then is the table the
        new one."""
        self.expect(page.locator('.alert-success')).to_contain_text(text)

    def instance_row(self, page, server):
        return page.locator('#instances__row__%s' % server)

    def cell(self, row, column):
        # Instance, Enabled, Daily, Store, Snapshots, Last Snapshot, State
        return row.locator('td').nth(column)

    def take(self, page, server, name):
        """Take Snapshot from the snapshots page (or the row action when
        on the instances page), crash-consistent: the files were synced."""
        if 'instances/' in page.url:
            page.locator('#snapshots__action_take_snapshot').click()
        else:
            browser.row_action(self.instance_row(page, server),
                               '#instances__row_%s__action_take_snapshot'
                               % server)
        form = page.locator('#lightsnap_take_snapshot_form')
        form.locator('#id_name').fill(name)
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        page.wait_for_url('**%sinstances/%s/' % (PANEL, server))
        self.expect(page.locator('#snapshots__row__%s' % name)
                    ).to_contain_text('available')
        self.settled(server)

    # -- the test -------------------------------------------------------

    def test_panel(self):
        opt_in = ('--property', 'lightsnap_enable=true')
        with self.sync_api.sync_playwright() as pw:
            chromium = browser.launch(pw)
            try:
                # a: booted without opting in; b: opted in at boot; c: the
                # admin's. The commands run while the users log in.
                with futures.ThreadPoolExecutor(3) as pool:
                    creates = [pool.submit(self.create, 'a'),
                               pool.submit(self.create, 'b', *opt_in),
                               pool.submit(self.create, 'c', *opt_in,
                                           cloud='lightsnap-admin')]
                    demo = self.login(chromium, 'demo')
                    admin = self.login(chromium, 'admin')
                    a, b, c = [f.result() for f in creates]
                for server, cloud in ((a, 'lightsnap-demo'),
                                      (b, 'lightsnap-demo'),
                                      (c, 'lightsnap-admin')):
                    self.wait_for('server %s' % server, lambda: (
                        self.sdk(cloud).compute.get_server(server)
                        .status.lower()), 'active')
                self.mark('instances active')
                self._store_is_admin_only(demo, admin, a, b, c)
                # Its guest would slow the others down.
                self.delete_servers([('lightsnap-admin', c)], wait=False)
                agent_a = self.wait_agent(a)
                agent_b = self.wait_agent(b)
                self.mark('guest agents ready')
                agent_a = self._one_instance(demo, a, agent_a)
                self._set(demo, a, agent_a, b, agent_b)
            except Exception:
                for name, page in (('demo', locals().get('demo')),
                                   ('admin', locals().get('admin'))):
                    if page is not None:
                        try:
                            self.shot(page, 'failure-%s' % name)
                        except Exception:
                            pass
                raise
            finally:
                chromium.close()

    def _store_is_admin_only(self, demo, admin, a, b, c):
        """Store On/Off: never offered to the demo user (the API refuses it
        to anyone but an admin), offered to the admin, and it works."""
        demo.goto(HORIZON + PANEL)
        self.expect(self.cell(self.instance_row(demo, a), 1)
                    ).to_have_text('No')
        self._enabled(demo, b)
        self.instance_row(demo, b).locator('.dropdown-toggle').click()
        self.shot(demo, 'demo-actions-of-b')
        # Checked, not asserted at once: the rest of the panel is still
        # worth driving when this fails.
        for server in (a, b):
            for action in ('store_on', 'store_off'):
                self.expectThat(demo.locator(
                    '#instances__row_%s__action_%s' % (server, action)
                ).count(), matchers.Equals(0),
                    'the demo user is offered %s on %s' % (action, server))

        admin.goto(HORIZON + PANEL)
        self._enabled(admin, c, 'lightsnap-admin')
        row_c = self.instance_row(admin, c)
        self.expect(self.cell(row_c, 3)).to_have_text('No')
        browser.row_action(row_c, '#instances__row_%s__action_store_on' % c)
        self.success(admin, 'Turned the snapshot store on for')
        self.expect(self.cell(self.instance_row(admin, c), 3)
                    ).to_have_text('Yes')
        self.assertTrue(self.light('lightsnap-admin').get_instance(c)['store'])
        self.shot(admin, 'admin-store-on')
        self.mark('store checked for demo, turned on by admin')

    def _enabled(self, page, server, cloud='lightsnap-demo'):
        """An instance opted in at boot shows as enabled. When lightsnap-api
        first saw it before its compute could tell (any listing of the
        project during the boot, by anyone), the listing keeps the record
        of a disabled instance until something reads the instance again:
        that is checked without stopping the test, then mended as a user
        would (a reload, else Enable)."""
        def shown():
            enabled = self.cell(self.instance_row(page, server), 1)
            self.expect(enabled).to_have_text(
                re.compile(r'^\s*(Yes|No)\s*$'))
            return enabled.inner_text().strip()

        listed = [i for i in self.light(cloud).list_instances()
                  if i['uuid'] == server]
        self.expectThat(
            shown(), matchers.Equals('Yes'),
            'instance %s was booted with lightsnap_enable=true; the API '
            'lists %r' % (server, listed))
        if shown() == 'Yes':
            return
        self.shot(page, 'not-enabled')
        page.reload()
        if shown() != 'Yes':
            browser.row_action(self.instance_row(page, server),
                               '#instances__row_%s__action_enable' % server)
            self.success(page, 'Enabled light snapshots of')
        self.expect(self.cell(self.instance_row(page, server), 1)
                    ).to_have_text('Yes')

    def _one_instance(self, page, a, agent):
        """Enable, Daily, Take, Revert, Delete, Commit All on instance a."""
        row = self.instance_row(page, a)
        browser.row_action(row, '#instances__row_%s__action_enable' % a)
        self.success(page, 'Enabled light snapshots of')
        row = self.instance_row(page, a)
        self.expect(self.cell(row, 1)).to_have_text('Yes')
        self.assertTrue(self.light_client().get_instance(a)['enabled'])

        browser.row_action(row, '#instances__row_%s__action_daily_on' % a)
        self.success(page, 'Turned daily snapshots on for')
        row = self.instance_row(page, a)
        self.expect(self.cell(row, 2)).to_have_text('Yes')
        self.assertTrue(self.light_client().get_instance(a)['daily'])
        self.shot(page, 'enabled-daily')
        browser.row_action(row, '#instances__row_%s__action_daily_off' % a)
        self.success(page, 'Turned daily snapshots off for')
        self.expect(self.cell(self.instance_row(page, a), 2)
                    ).to_have_text('No')
        self.assertFalse(self.light_client().get_instance(a)['daily'])
        self.mark('enabled, daily on and off')

        # s1 from the instances page, s2 from the snapshots page.
        self.write(a, agent, 'k-1')
        self.take(page, a, 's1')
        s1_files = dict(self.files[a])
        self.write(a, agent, 'k-2')
        self.take(page, a, 's2')
        self.shot(page, 'taken')
        self.write(a, agent, 'k-3')
        self.check_files(a, agent, 'after taking s1 and s2')

        browser.row_action(page.locator('#snapshots__row__s1'),
                           '#snapshots__row_s1__action_revert')
        browser.confirm(page)
        self.success(page, 'Reverting to snapshot')
        self.expect(page.locator('#snapshots__row__s1')).to_contain_text(
            'available')
        self.settled(a)
        self.files[a] = s1_files
        agent = self.wait_agent(a)  # a revert restarts the guest
        self.shot(page, 'reverted')
        self.check_files(a, agent, 'after Revert to s1')

        browser.row_action(page.locator('#snapshots__row__s2'),
                           '#snapshots__row_s2__action_delete')
        browser.confirm(page)
        self.success(page, 'Deleting snapshot')
        self.expect(page.locator('#snapshots__row__s2')).to_have_count(0)
        self.settled(a)
        self.shot(page, 'deleted')
        self.check_files(a, agent, 'after Delete s2')
        self.assertEqual(['s1'], [s['name'] for s in
                                  self.light_client().list_snapshots(a)])

        self.write(a, agent, 'k-4')
        page.goto(HORIZON + PANEL)
        row = self.instance_row(page, a)
        self.expect(self.cell(row, 4)).to_have_text('1')
        browser.row_action(row, '#instances__row_%s__action_commit_all' % a)
        browser.confirm(page)
        self.success(page, 'Started committing all snapshots of')
        self.expect(self.cell(self.instance_row(page, a), 4)
                    ).to_have_text('0')
        self.settled(a)
        self.shot(page, 'committed')
        self.check_files(a, agent, 'after Commit All')
        self.assertEqual([], self.light_client().list_snapshots(a))
        return agent

    def _set(self, page, a, agent_a, b, agent_b):
        """A set of a and b: create, restore, delete."""
        name = self.tag
        page.goto(HORIZON + PANEL)
        page.locator(SETS_TAB).click()
        self.write(a, agent_a, 'k-5')
        self.write(b, agent_b, 'k-b1')
        kept = {server: dict(self.files[server]) for server in (a, b)}
        page.locator('#sets__action_create_set').click()
        form = page.locator('#lightsnap_create_set_form')
        form.locator('#id_name').fill(name)
        for server in (a, b):
            form.locator('input[name=instances][value="%s"]'
                         % server).check()
        form.locator('#id_quiesce').select_option('off')
        form.locator('[type=submit]').click()
        self.success(page, 'Creating snapshot set')
        row = page.locator('#sets tbody tr', has_text=name)
        self.expect(row).to_contain_text('available')
        for server in (a, b):
            self.assertEqual(
                'available',
                self.light_client().get_snapshot(server, name)['state'])
        self.shot(page, 'set-created')
        self.mark('set created')

        self.write(a, agent_a, 'k-6')
        self.write(b, agent_b, 'k-b2')
        browser.row_action(row, '[value^="sets__restore_set__"]')
        browser.confirm(page)
        self.success(page, 'Restoring set')
        row = page.locator('#sets tbody tr', has_text=name)
        self.expect(row).to_contain_text('available')
        for server in (a, b):
            self.settled(server)
        self.files = kept
        agent_a, agent_b = self.wait_agent(a), self.wait_agent(b)
        self.check_files(a, agent_a, 'after restoring the set')
        self.check_files(b, agent_b, 'after restoring the set')

        browser.row_action(row, '[value^="sets__delete__"]')
        browser.confirm(page)
        self.success(page, 'Deleting set')
        self.expect(page.locator('#sets tbody tr', has_text=name)
                    ).to_have_count(0)
        for server in (a, b):
            self.settled(server)
            self.assertEqual([], [s['name'] for s in
                                  self.light_client().list_snapshots(server)
                                  if s['name'] == name])
        self.shot(page, 'set-deleted')
        self.check_files(a, agent_a, 'after deleting the set')
        self.check_files(b, agent_b, 'after deleting the set')
