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

"""Hostile names through the engine's entry points, on one real domain.

Few examples (each touches libvirt): every call either works on a name
that is valid, or ends in one of the engine's errors; nothing is created,
changed or removed outside the disk's own directory (listing and mtimes of
the parent checked), and a refused call changes nothing inside it either.
"""

import os

import fixtures
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import sets
from tests.functional import base
from tests.support import domains
from tests.unit.engine import test_fuzz_inputs as pure

FEW = settings(max_examples=25, deadline=None, database=None)
VALID = st.from_regex(r'[A-Za-z0-9][A-Za-z0-9._-]{0,10}', fullmatch=True)
# (None is not hostile: it asks for a default snapshot name.)
NAMES = st.one_of(pure.HOSTILE, pure.TEXT, VALID, st.integers(),
                  st.binary(max_size=8))


def _tree(top):
    """Every path under ``top`` with its mtime (lock files hold a pid)."""
    out = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            if name.endswith('.lock'):
                continue
            path = os.path.join(root, name)
            out[path] = os.lstat(path).st_mtime_ns
    return out


class EngineFuzzTest(base.EngineTestCase):
    disks = {'vda': 'file'}

    def setUp(self):
        # A parent of our own, so that its listing is ours alone.
        os.makedirs(domains.TEST_DIR, exist_ok=True)
        parent = self.useFixture(fixtures.TempDir(
            rootdir=domains.TEST_DIR)).path
        os.chmod(parent, 0o755)
        self.patch(domains, 'TEST_DIR', parent)
        self.parent = parent
        super().setUp()
        self.useFixture(fixtures.FakeLogger())
        self.write_and_create('base')
        # The registry's folder for sets (and its lock) is made by the
        # first set operation, refused or not; it is not data.
        with self.host.registry.sets_locked():
            pass

    def refused(self, func, *args):
        before = _tree(self.parent)
        try:
            func(*args)
        except errors.LightSnapError as exc:
            self.assertTrue(str(exc))
            self.assertEqual(before, _tree(self.parent), (func, args))
            return True
        return False

    def outside(self):
        tree = {path: mtime for path, mtime in _tree(self.parent).items()
                if not (path + os.sep).startswith(self.vm.dir + os.sep)}
        # Where an absolute or climbing name would land first.
        for top in ('/', '/etc', os.path.dirname(self.parent)):
            tree[top] = sorted(n for n in os.listdir(top)
                               if '.ls0' in n or 'lightsnap.json' in n)
        return tree

    @FEW
    @given(NAMES, NAMES)
    def test_snapshot_entry_points(self, name, disk):
        outside = self.outside()
        dom = self.dom()
        if not self.refused(dom.create, name, 'off'):
            self.model.create(name)
            self.assertFalse(self.refused(self.dom().revert, name))
            self.model.revert(name)
            self.delete(name)
        self.refused(self.dom().delete, name)
        self.refused(self.dom().revert, name)
        dest = os.path.join(self.vm.dir, 'export.qcow2')
        if not self.refused(self.dom().export, name, disk, dest):
            os.unlink(dest)
        self.refused(self.host.domain, name)
        self.refused(sets.restore, self.host, name)
        self.refused(sets.delete, self.host, name)
        if not self.refused(sets.create, self.host, name, [self.vm.name]):
            self.model.create(name)
            sets.delete(self.host, name)
            self.model.delete(name)
        self.refused(sets.create, self.host, 'ok-set', [name])
        self.refused(sets.create, self.host, 'ok-set', [self.vm.name, name])
        # Outside the disk's directory: exactly as it was.
        self.assertEqual(outside, self.outside())
        self.verify('after %r' % (name,))
