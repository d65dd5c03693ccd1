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

"""Quotas on the cloud: an admin sets project demo's limit of light
snapshots in keystone (unified limits, over the registered limits that
tools/cloud/register.py creates); demo, through ``openstack light``, takes
snapshots up to it, is refused the next one with the limit and the usage,
sees them with ``openstack light limits show``, and gets the unit back by
deleting a snapshot."""

from tests.system import base

RESOURCE = 'lightsnap_snapshots'


class QuotasTest(base.CloudTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.boot(self.id().rsplit('.', 1)[-1][:40],
                                '--property', 'lightsnap_enable=true')
        # What a run that died left behind would hide the new limit.
        self._drop_limits()
        self.addCleanup(self._drop_limits)

    def _drop_limits(self):
        for limit in self.admin('limit', 'list', '--project', 'demo',
                                '--service', 'lightsnap',
                                '--resource-name', RESOURCE):
            self.admin('limit', 'delete', limit['ID'], parse=False)

    def limits(self):
        return {row['Resource']: (row['Limit'], row['Usage'])
                for row in self.openstack('light', 'limits', 'show')}

    def create(self, name):
        return self.openstack('light', 'snapshot', 'create', self.server,
                              '--name', name, '--wait')

    def names(self):
        return sorted(s['name'] for s in
                      self.light_client().list_snapshots(self.server))

    def test_a_project_limit_from_keystone(self):
        # The registered limit applies first; demo may hold snapshots of
        # other servers already.
        limit, used = self.limits()[RESOURCE]
        self.assertGreater(limit, used + 2)
        self.admin('limit', 'create', '--project', 'demo', '--service',
                   'lightsnap', '--region', 'RegionOne', '--resource-limit',
                   str(used + 2), RESOURCE)
        self.assertEqual((used + 2, used), self.limits()[RESOURCE])

        self.create('q1')
        self.create('q2')
        self.mark('two snapshots taken')
        exc = self.assertRaises(base.CommandFailed, self.create, 'q3')
        self.assertIn('quota exceeded for %s: limit %d, usage %d, '
                      'requested 1' % (RESOURCE, used + 2, used + 2),
                      str(exc))
        self.assertEqual(['q1', 'q2'], self.names())
        self.assertEqual((used + 2, used + 2), self.limits()[RESOURCE])

        self.openstack('light', 'snapshot', 'delete', self.server, 'q1',
                       '--wait', parse=False)
        self.assertEqual((used + 2, used + 1), self.limits()[RESOURCE])
        self.create('q3')
        self.assertEqual(['q2', 'q3'], self.names())
        self.mark('the unit freed by a delete was taken again')
