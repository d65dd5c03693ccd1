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

"""``openstack light ...`` (the real OSC, a subprocess) on a real
lightsnap-api and real libvirt domains; every snapshot's data is read back
after each step."""

import re

from tests.functional.osc import base


class OpenStackLightTest(base.OSCTestCase):
    extra_domains = 1

    def test_snapshots_instance_flags_and_sets(self):
        uuid = self.uuid
        # Not enabled yet: the API's refusal is the command's error.
        out, err = self.openstack('snapshot', 'create', uuid, '--name', 'x',
                                  expect=1)
        self.assertIn('light snapshots are not enabled on instance %s'
                      % uuid, err)
        self.openstack('instance', 'set', uuid, '--enable')
        inst = self.json('instance', 'show', uuid)
        self.assertEqual((True, False, base.PROJECT),
                         (inst['enabled'], inst['daily'],
                          inst['project_id']))

        self.write_all()
        snap = self.json('snapshot', 'create', uuid, '--name', 's1',
                         '--quiesce', 'off', '--wait')
        self.model.create('s1')
        self.assertEqual(('s1', 'available'), (snap['name'], snap['state']))
        self.write_all()
        out, err = self.openstack('snapshot', 'create', uuid, '--name', 's2',
                                  '--wait', '-f', 'value', '-c', 'state')
        self.model.create('s2')
        self.assertEqual('available\n', out)
        self.assertIn('snapshot s2: available 100%', err)
        self.write_all()
        self.verify('after two creates')

        listed = self.json('snapshot', 'list', uuid)
        self.assertEqual(['s1', 's2'], [s['Name'] for s in listed])
        self.assertEqual(['available'] * 2, [s['State'] for s in listed])
        shown = self.json('snapshot', 'show', uuid, 's1')
        self.assertEqual(uuid, shown['instance_uuid'])
        # A duplicate name: refused with the API's message, nothing changes.
        out, err = self.openstack('snapshot', 'create', uuid, '--name', 's1',
                                  expect=1)
        self.assertIn("instance %s already has a snapshot named 's1'" % uuid,
                      err)
        self.verify('after the refused duplicate')

        # Another project sees nothing of it.
        out, err = self.openstack('snapshot', 'list', uuid,
                                  project='someone-else', expect=1)
        self.assertIn(uuid, err)

        snap = self.json('snapshot', 'revert', uuid, 's1', '--wait')
        self.model.revert('s1')
        self.assertEqual('available', snap['state'])
        self.verify('after revert to s1')
        self.write_all()

        out, err = self.openstack('snapshot', 'delete', uuid, 's1', '--wait')
        self.model.delete('s1')
        self.assertEqual('', out)
        self.assertIn('delete s1', err)
        self.assertEqual(['s2'], [s['Name'] for s in self.json(
            'snapshot', 'list', uuid)])
        self.verify('after delete of s1')

        self.openstack('instance', 'set', uuid, '--daily')
        self.assertTrue(self.json('instance', 'show', uuid)['daily'])
        rows = self.listing('instance', 'list')
        self.assertIn(uuid, [r['UUID'] for r in rows])
        self.assertEqual(1, [r['Snapshots'] for r in rows
                             if r['UUID'] == uuid][0])

        # A set over this domain and a second one.
        other = self.others[0]
        other_uuid = other.domain.UUIDString()
        self.openstack('instance', 'set', other_uuid, '--enable')
        other.write('vda', 3, 77)
        self.write_all()
        created = self.json('set', 'create', 'dev', '--instance', uuid,
                            '--instance', other_uuid, '--quiesce', 'off',
                            '--wait')
        self.model.create('dev')
        self.assertEqual('available', created['state'])
        self.assertEqual(sorted([uuid, other_uuid]),
                         sorted(created['instances']))
        self.assertIn('dev', [s['Name'] for s in self.json('set', 'list')])
        self.write_all()
        other.write('vda', 3, 78)
        self.verify('after set create')

        restored = self.json('set', 'restore', 'dev', '--wait')
        self.model.revert('dev')
        self.assertEqual('available', restored['state'])
        self.verify('after set restore')
        other.flush()
        live = other.disks()['vda'].active.ref
        self.assertEqual([], other.mismatches(live, {3: 77}, 4))

        self.openstack('set', 'delete', str(created['id']), '--wait')
        self.model.delete('dev')
        self.verify('after set delete')
        self.openstack('set', 'show', 'dev', expect=1)


class LongMergeTest(base.OSCTestCase):
    disks = {'vda': 'file'}
    # 8 MiB at 1 MiB/s: several of --wait's polls see the merge running.
    api_options = {'merge_bandwidth': '1'}

    def test_delete_wait_shows_the_merge_percent(self):
        self.openstack('instance', 'set', self.uuid, '--enable')

        def take():
            self.openstack('snapshot', 'create', self.uuid, '--name', 'big',
                           '--quiesce', 'off', '--wait')
            self.model.create('big')
        self.fill_around('vda', 8, take)
        out, err = self.openstack('snapshot', 'delete', self.uuid, 'big',
                                  '--wait')
        self.model.delete('big')
        percents = [int(p) for p in re.findall(r'deleting (\d+)%', err)]
        self.assertTrue([p for p in percents if 0 < p < 100], err)
        self.assertEqual(sorted(percents), percents, err)
        self.verify('after the long merge')
