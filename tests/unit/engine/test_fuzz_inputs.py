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

"""Fuzzing of every name and structure that reaches the engine from outside.

Pure logic, so many examples: whatever comes in, the answer is a value
that stays inside the disk's own directory, or the engine's InvalidInput
(never a bare TypeError, KeyError or OSError).
"""

import os

import fixtures
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from nova_lightsnap.chain import ImageRef
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import layout
from nova_lightsnap.engine import state
from nova_lightsnap.engine import volume_snapshots
from nova_lightsnap import names

from tests.support import testcase

MANY = settings(max_examples=400, deadline=None, database=None)

DIR = '/srv/volumes/vol-1'

# Names an attacker would try first, mixed into the generated ones.
HOSTILE = st.sampled_from([
    '', '.', '..', '../x', '../../etc/passwd', '/etc/passwd', 'a/b', 'a\\b',
    'x\0y', '\0', 'x' * 256, 'x' * 65, '-rf', '.hidden', 'a..b', ' s',
    's\n', 'caf\u00e9', '\u202eevil', 'snap\u2215x', '\uff0e\uff0e',
    'gluster://h/v/x', 'file:/etc/x', '~root', '$(id)', '`id`',
    'volume-1.qcow2/', 'volume-1.qcow2\0.x'])
TEXT = st.one_of(HOSTILE, st.text(max_size=300),
                 st.text(alphabet='./\\\0-_aZ9~', max_size=40))
ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
              TEXT, st.binary(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8)


def _inside(name):
    """``name`` as a file beside the disk stays in the disk's directory."""
    path = ImageRef('file', os.path.join(DIR, 'disk.qcow2')).sibling(name)
    return (os.path.dirname(os.path.normpath(path.path)) == DIR and
            '\0' not in name)


class NameFuzzTest(testcase.TestCase):

    @MANY
    @given(st.one_of(TEXT, ANY))
    def test_snapshot_and_set_names(self, name):
        for what in ('snapshot name', 'set name'):
            try:
                got = names.check_snapshot_name(name, what)
            except errors.InvalidInput as exc:
                self.assertIn(what, str(exc))
                continue
            self.assertIs(name, got)
            self.assertTrue(_inside(name), name)
            self.assertLessEqual(len(name), names.MAX_NAME)
            self.assertTrue(name.isascii())
            self.assertFalse(name.startswith(('.', '-')))
            # A set name becomes a file in the registry: it stays there.
            registry = state.Registry('/var/lib/lightsnap')
            self.assertEqual(registry.sets_dir,
                             os.path.dirname(registry.set_path(name)))

    @MANY
    @given(st.one_of(TEXT, ANY))
    def test_file_names(self, name):
        try:
            got = names.check_basename(name)
        except errors.InvalidInput:
            return
        self.assertIs(name, got)
        self.assertTrue(_inside(name), name)
        self.assertNotIn(name, ('.', '..'))

    @MANY
    @given(TEXT, st.integers(min_value=1, max_value=10 ** 6))
    def test_overlay_names_stay_beside_the_root(self, root, index):
        try:
            names.check_basename(root)
        except errors.InvalidInput:
            return
        self.assertTrue(_inside(layout.overlay_name(root, index)))


class CinderInfoFuzzTest(testcase.TestCase):
    """Nova's create_info and delete_info, as Cinder (or anyone) sends."""

    @MANY
    @given(ANY)
    def test_create_info_any_shape(self, info):
        self.check_create(info)

    @MANY
    @given(st.fixed_dictionaries(
        {'type': st.one_of(st.just('qcow2'), ANY),
         'snapshot_id': st.one_of(st.just('6a4f'), ANY),
         'new_file': st.one_of(TEXT, ANY)}))
    def test_create_info_fields(self, info):
        self.check_create(info)

    def check_create(self, info):
        try:
            new_file = volume_snapshots.check_create_info(info)
        except errors.InvalidInput:
            return
        self.assertEqual('qcow2', info['type'])
        self.assertIsNotNone(info['snapshot_id'])
        self.assertTrue(_inside(new_file), new_file)

    @MANY
    @given(ANY)
    def test_delete_info_any_shape(self, info):
        self.check_delete(info)

    @MANY
    @given(st.fixed_dictionaries(
        {'type': st.one_of(st.just('qcow2'), ANY),
         'file_to_merge': st.one_of(st.none(), TEXT, ANY),
         'merge_target_file': st.one_of(st.none(), TEXT, ANY)}))
    def test_delete_info_fields(self, info):
        self.check_delete(info)

    def check_delete(self, info):
        try:
            to_merge, target = volume_snapshots.check_delete_info(info)
        except errors.InvalidInput:
            return
        for name in (to_merge, target):
            if name is not None:
                self.assertTrue(_inside(name), name)
        if target is not None:
            self.assertIsNotNone(to_merge)


CHAIN_NAMES = ['volume-1.qcow2', 'volume-1.snap-a', 'volume-1.snap-b',
               'volume-1.snap-c', 'volume-1.snap-d']


class PlanDeleteFuzzTest(testcase.TestCase):
    """Any pair of names against a chain: a plan inside it, or a refusal."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger())

    @MANY
    @given(st.integers(min_value=1, max_value=len(CHAIN_NAMES)),
           st.one_of(st.none(), st.sampled_from(CHAIN_NAMES + ['other']),
                     TEXT),
           st.one_of(st.none(), st.sampled_from(CHAIN_NAMES + ['other']),
                     TEXT))
    def test_plans_stay_in_the_chain(self, depth, to_merge, target):
        # Active first, as libvirt lists a chain.
        refs = [ImageRef('file', os.path.join(DIR, n))
                for n in reversed(CHAIN_NAMES[:depth])]
        info = {'type': 'qcow2', 'file_to_merge': to_merge,
                'merge_target_file': target}
        try:
            to_merge, target = volume_snapshots.check_delete_info(info)
            plan = volume_snapshots.plan_delete(refs, 'vdb', to_merge, target)
        except errors.InvalidInput:
            return
        for ref in plan.removed:
            self.assertIn(ref, refs)
        if plan.kind != volume_snapshots.PULL or plan.base is not None:
            self.assertNotIn(refs[-1], plan.removed)  # the bottom stays
        if plan.kind == volume_snapshots.NOTHING:
            self.assertEqual([], plan.removed)
            return
        if plan.kind == volume_snapshots.PULL:
            self.assertNotIn(refs[0], plan.removed)
            base = (refs.index(plan.base) if plan.base is not None
                    else len(refs))
            self.assertEqual(refs[1:base], plan.removed)
            return
        top, base = refs.index(plan.top), refs.index(plan.base)
        self.assertLess(top, base)
        # A commit removes exactly what lies between, never more.
        self.assertEqual(refs[top:base], plan.removed)
        self.assertEqual(top == 0, plan.kind == volume_snapshots.COMMIT_ACTIVE)
