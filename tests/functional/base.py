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

"""Shared set-up of the functional tests: a real domain and a model of it."""

import copy
import json
import os
import random

from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import state as state_mod
from tests.support import domains
from tests.support import testcase

REGIONS = 16


class Model:
    """What every snapshot and the live disks must contain."""

    def __init__(self, targets):
        self.current = {t: {} for t in targets}
        self.snaps = {}

    def write(self, target, region, pattern):
        self.current[target][region] = pattern

    def create(self, name):
        self.snaps[name] = copy.deepcopy(self.current)

    def delete(self, name):
        del self.snaps[name]

    def revert(self, name, targets=None):
        """``targets``: the disks the snapshots cover (default: all)."""
        for target in targets or self.snaps[name]:
            self.current[target] = copy.deepcopy(self.snaps[name][target])

    def commit_all(self, keep=()):
        """Every snapshot goes but those in ``keep`` (stored ones a move
        keeps)."""
        self.snaps = {n: v for n, v in self.snaps.items() if n in keep}


class EngineTestCase(testcase.TestCase):
    disks = {'vda': 'file', 'vdb': 'file'}
    covered = None  # the disks the snapshots cover; None: all
    running = True
    disk_size = domains.DISK_SIZE
    timeout_seconds = 600
    # Images made outside the engine (virsh) that stay in the chain.
    made_outside = frozenset()

    def setUp(self):
        super().setUp()
        self.vm = self.useFixture(self.domain_fixture())
        self.host = self.make_host()
        self.model = Model(sorted(self.disks))
        self.rng = random.Random(1234)
        self._pattern = 0

    def domain_fixture(self):
        return domains.TestDomain(self.disks, self.running,
                                  disk_size=self.disk_size)

    def make_host(self):
        host = host_mod.Host(domains.URI, state_dir=self.vm.state_dir,
                             job_timeout=300)
        self.addCleanup(host.close)
        return host

    # -- operations, applied to the engine and the model ------------------

    def next_pattern(self):
        self._pattern = self._pattern % 250 + 1
        return self._pattern

    def write(self, target=None, region=None):
        target = target or self.rng.choice(sorted(self.disks))
        region = self.rng.randrange(REGIONS) if region is None else region
        pattern = self.next_pattern()
        self.vm.write(target, region, pattern)
        self.model.write(target, region, pattern)

    def write_all(self, regions=1):
        for target in sorted(self.disks):
            for _ in range(regions):
                self.write(target)

    def write_and_create(self, *names):
        """Snapshots ``names`` with a write to every disk before each one
        and after the last, so that each holds data of its own."""
        for name in names:
            self.write_all()
            self.create(name)
        self.write_all()

    def fill_layer(self, target, size, pattern):
        """Write ``size`` bytes from offset 0, so merges take a while."""
        self.vm.fill(target, size, pattern)
        for region in range(min(REGIONS, size // domains.REGION)):
            self.model.write(target, region, pattern)

    def fill_around(self, target, mib, take):
        """``mib`` MiB written, the snapshot ``take()`` makes, and ``mib``
        MiB more past the first: both ways of merging that snapshot away
        (pull its layer up, or commit the layer above down) move ``mib``
        MiB, a merge long enough to watch. The first write covers every
        region the model checks; ``take`` records the snapshot in it."""
        size = mib * 1024 * 1024
        self.fill_layer(target, size, self.next_pattern())
        take()
        self.vm.fill(target, size, self.next_pattern(), start=size)

    def dom(self):
        return self.host.domain(self.vm.name)

    def create(self, name, quiesce='off'):
        result = self.dom().create(name, quiesce)
        self.model.create(name)
        return result

    def delete(self, name):
        handle = self.dom()
        handle.delete(name)
        self.model.delete(name)
        return handle.steps

    def revert(self, name):
        self.dom().revert(name)
        self.model.revert(name, self.covered)

    def commit_all(self):
        handle = self.dom()
        handle.commit_all()
        self.model.commit_all()
        return handle.steps

    # -- checks -------------------------------------------------------------

    def snapshot_list(self):
        return self.dom().list()

    def verify(self, context=''):
        """Every snapshot and the live disks hold exactly what was written."""
        listed = self.snapshot_list()
        self.assertEqual(list(self.model.snaps), [s['name'] for s in listed],
                         context)
        for snap in listed:
            for target, url in snap['disks'].items():
                ref = self._ref_for(target, url)
                bad = self.vm.mismatches(
                    ref, self.model.snaps[snap['name']][target], REGIONS)
                self.assertEqual([], bad, '%s: snapshot %s disk %s (%s)'
                                 % (context, snap['name'], target, url))
        self.vm.flush()
        live = self.vm.disks()
        for target in sorted(self.disks):
            bad = self.vm.mismatches(live[target].active.ref,
                                     self.model.current[target], REGIONS)
            self.assertEqual([], bad, '%s: live disk %s' % (context, target))
        self.assert_no_leaks(context)

    def _ref_for(self, target, url):
        root = self.vm.roots[target]
        if root.kind == 'file':
            # A layer beside the root, or a stored snapshot's kept file in
            # the store folder there.
            rel = os.path.relpath(url, os.path.dirname(root.path))
            self.assertFalse(rel.startswith('..'), url)
            return root.sibling(rel)
        return root.sibling(url.rsplit('/', 1)[1])

    def state(self):
        entry = self.host.registry.find_domain(self.vm.name)
        return state_mod.StateFile(entry['state']).load()

    def assert_no_leaks(self, context=''):
        """The image files on disk are exactly the layers in the metadata."""
        st = self.state()
        self.assertIsNone(st.journal, context)
        self.assertEqual([], st.garbage, context)
        want_local, want_gluster = set(), set()
        for dstate in st.disks.values():
            bucket = want_local if dstate.root.kind == 'file' else \
                want_gluster
            bucket.update(dstate.layers)
        local = {f for f in self.vm.local_files()
                 if not f.endswith(('.json', '.lock', '.lightsnap-store'))}
        # What virsh made stays, in the chain or below the adopted image.
        local -= ({os.path.basename(p) for p in self.made_outside} -
                  want_local)
        self.assertEqual(sorted(want_local), sorted(local), context)
        self.assertEqual(sorted(self.kept_files(st)),
                         sorted(self.store_files(st)), context)
        if want_gluster:
            self.assertEqual(sorted(want_gluster), self.vm.gluster_files(),
                             context)
        self.assert_private(st, context)

    def assert_private(self, st, context=''):
        """What the engine wrote (layers, kept files, metadata) is never
        readable by other users: it holds the guest's data, or says where
        it is. The test's own images are not its to judge."""
        mine = {r.url for r in self.vm.roots.values()} | self.made_outside
        registry = self.host.registry
        paths = [registry.find_domain(self.vm.name)['state'],
                 os.path.join(registry.domains_dir, st.uuid + '.json')]
        paths += self.kept_files(st)
        gluster = []
        for dstate in st.disks.values():
            for name in dstate.layers:
                ref = dstate.ref(name)
                if ref.url in mine:
                    continue
                if ref.kind == 'file':
                    paths.append(ref.path)
                else:
                    gluster.append(ref)
        modes = {p: os.stat(p).st_mode for p in paths}
        if gluster:
            vol = domains.gluster_volume()
            modes.update({r.url: vol.stat('/' + r.path).st_mode
                          for r in gluster})
        self.assertEqual({}, {p: oct(m & 0o777) for p, m in modes.items()
                              if m & 0o007}, context)

    def kept_files(self, st):
        """What the metadata says the store holds: the kept files."""
        return [st.disks[t].ref(name).path for snap in st.snapshots
                for t, name in snap.kept.items()]

    def store_files(self, st):
        """What the store folders hold."""
        out = []
        dirs = {d.root.dirname for d in st.disks.values()
                if d.root.kind == 'file'}
        for where in dirs:
            store = os.path.join(where, st.uuid + '.lightsnap-store')
            for top, _, files in os.walk(store):
                out.extend(os.path.join(top, f) for f in files)
        return out

    def assert_single_images(self):
        """After commit-all: each disk is its original image, no backing."""
        for target, disk in self.vm.disks().items():
            self.assertEqual(self.vm.roots[target], disk.active.ref)
            if self.vm.domain.isActive():
                self.assertEqual(1, len(disk.chain), target)


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True)
