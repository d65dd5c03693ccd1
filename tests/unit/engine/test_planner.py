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

"""Which layers go, and how: the planner on hand-made chains."""


from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import planner
from nova_lightsnap.engine import state

from tests.support import testcase


def disk(layers, active, target='vda'):
    return state.DiskState(
        target=target, root=ImageRef('file', '/d/base.qcow2'), capacity=1,
        layers=dict(layers), formats={n: 'qcow2' for n in layers},
        active=active)


LINEAR = {'base.qcow2': None, 'l1': 'base.qcow2', 'l2': 'l1', 'l3': 'l2'}


class NextStepTest(testcase.TestCase):

    def test_nothing_to_do_when_every_layer_is_named(self):
        d = disk(LINEAR, 'l3')
        self.assertIsNone(planner.next_step(
            d, {'base.qcow2', 'l1', 'l2'}, True, {}))

    def test_middle_layer_is_committed_into_by_its_child(self):
        d = disk(LINEAR, 'l3')
        step = planner.next_step(d, {'base.qcow2', 'l2'}, True, {})
        self.assertEqual((planner.COMMIT, ['l1', 'l2']),
                         (step.kind, step.run))
        self.assertEqual('l1', step.survivor)
        self.assertEqual(['l2'], step.removed)

    def test_oldest_commits_into_the_root_never_pulls(self):
        d = disk(LINEAR, 'l3')
        step = planner.next_step(d, {'l1', 'l2'}, True,
                                 {'base.qcow2': 1, 'l1': 10 ** 9})
        self.assertEqual((planner.COMMIT, ['base.qcow2', 'l1']),
                         (step.kind, step.run))

    def test_newest_pulls_when_cheaper_and_commits_when_not(self):
        d = disk(LINEAR, 'l3')
        named = {'base.qcow2', 'l1'}
        step = planner.next_step(d, named, True, {'l2': 1, 'l3': 100})
        self.assertEqual((planner.PULL, ['l2', 'l3']), (step.kind, step.run))
        self.assertEqual('l3', step.survivor)
        step = planner.next_step(d, named, True, {'l2': 100, 'l3': 1})
        self.assertEqual((planner.COMMIT_ACTIVE, ['l2', 'l3']),
                         (step.kind, step.run))

    def test_a_run_of_unneeded_layers_is_one_job(self):
        d = disk(LINEAR, 'l3')
        step = planner.next_step(d, set(), True, {})
        self.assertEqual((planner.COMMIT_ACTIVE,
                          ['base.qcow2', 'l1', 'l2', 'l3']),
                         (step.kind, step.run))

    def test_shut_off_domains_commit_offline(self):
        d = disk(LINEAR, 'l3')
        step = planner.next_step(d, {'base.qcow2', 'l1'}, False,
                                 {'l2': 1, 'l3': 100})
        self.assertEqual(planner.OFFLINE_COMMIT, step.kind)

    def test_branches(self):
        # base <- l1 <- l2 (named, side branch); l1 <- l3 (active)
        layers = {'base.qcow2': None, 'l1': 'base.qcow2', 'l2': 'l1',
                  'l3': 'l1'}
        d = disk(layers, 'l3')
        # A branch point stays while both children live.
        self.assertIsNone(planner.next_step(d, {'base.qcow2', 'l2'}, True,
                                            {}))
        # An unnamed leaf off the running chain is removed first.
        step = planner.next_step(d, {'base.qcow2'}, True, {})
        self.assertEqual((planner.REMOVE, ['l2']), (step.kind, step.run))
        self.assertEqual(['l2'], step.removed)
        # A side branch below a named layer is merged offline while the
        # domain runs.
        layers = {'base.qcow2': None, 'l1': 'base.qcow2', 'l2': 'l1',
                  'l4': 'l2', 'l3': 'l1'}
        d = disk(layers, 'l3')
        step = planner.next_step(d, {'base.qcow2', 'l1', 'l4'}, True, {})
        self.assertEqual((planner.OFFLINE_COMMIT, ['l2', 'l4']),
                         (step.kind, step.run))


class ApplyTest(testcase.TestCase):

    def test_commit_moves_names_and_children_to_the_survivor(self):
        d = disk(LINEAR, 'l3')
        snaps = [state.Snapshot('s2', 't', {'vda': 'l2'})]
        step = planner.Step(planner.COMMIT, 'vda', ['l1', 'l2'])
        planner.apply(d, step, snaps)
        self.assertEqual({'base.qcow2': None, 'l1': 'base.qcow2',
                          'l3': 'l1'}, d.layers)
        self.assertEqual('l1', snaps[0].layers['vda'])

    def test_active_commit_moves_the_active_image(self):
        d = disk(LINEAR, 'l3')
        planner.apply(d, planner.Step(planner.COMMIT_ACTIVE, 'vda',
                                      ['l2', 'l3']), [])
        self.assertEqual('l2', d.active)
        self.assertNotIn('l3', d.layers)

    def test_pull_reparents_the_active_image(self):
        d = disk(LINEAR, 'l3')
        planner.apply(d, planner.Step(planner.PULL, 'vda', ['l2', 'l3']), [])
        self.assertEqual('l1', d.layers['l3'])
        self.assertNotIn('l2', d.layers)
        self.assertEqual('l3', d.active)

    def test_remove(self):
        layers = dict(LINEAR, side='l1')
        d = disk(layers, 'l3')
        planner.apply(d, planner.Step(planner.REMOVE, 'vda', ['side']), [])
        self.assertEqual(LINEAR, d.layers)
