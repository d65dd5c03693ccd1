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

"""Many clients, many domains, operations issued at once.

Eight domains without an OS, six client threads each with its own ``Host``
(its own libvirt connection and event loop registration), 200 random
operations: snapshot, delete, revert, commit-all, snapshot sets across two
domains, and writes. Every operation ends in success or a clear refusal
(Busy, NotFound); afterwards every domain's snapshots and live disk hold
exactly what the model says, with no journal, no stray file and no block
job left.

The model stays exact because what changes a domain's current content
(writes, reverts, commit-all) takes a test-side exclusive lock on that
domain, while creates, deletes and sets take it shared: those may collide
in the engine, which must serialize or refuse them.
"""

import collections
import contextlib
import random
import threading
import time

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import sets
from tests.functional import base
from tests.support import domains

DOMAINS = 8
CLIENTS = 6
OPERATIONS = 200
REFUSALS = (errors.Busy, errors.NotFound)


class SharedExclusive:
    """A readers-writer lock, readers first (writers hold one lock only)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    def shared(self):
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1

    def unshare(self):
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    def exclusive(self):
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True

    def release(self):
        with self._cond:
            self._writer = False
            self._cond.notify_all()


class Member:
    def __init__(self, vm):
        self.vm = vm
        self.model = base.Model(['vda'])
        self.gate = SharedExclusive()
        self.mutex = threading.Lock()  # guards the model
        self.pattern = 0

    def names(self):
        with self.mutex:
            return sorted(self.model.snaps)


class ConcurrencyTest(base.EngineTestCase):
    disks = {'vda': 'file'}
    timeout_seconds = 900

    def setUp(self):
        super().setUp()
        self.members = [Member(self.vm)] + [
            Member(self.useFixture(domains.TestDomain({'vda': 'file'})))
            for _ in range(DOMAINS - 1)]
        self.outcomes = collections.Counter()
        self.failures = []
        self.counter = iter(range(1, 10 ** 6))
        self.counter_lock = threading.Lock()
        self.budget = OPERATIONS
        self.budget_lock = threading.Lock()

    def unique(self, prefix):
        with self.counter_lock:
            return '%s%d' % (prefix, next(self.counter))

    def take_budget(self):
        with self.budget_lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True

    # -- the clients ----------------------------------------------------------

    def client(self, seed):
        rng = random.Random(seed)
        host = host_mod.Host(domains.URI, state_dir=self.vm.state_dir,
                             job_timeout=120)
        try:
            while self.take_budget():
                op = rng.choices(
                    ['write', 'create', 'delete', 'revert', 'commit-all',
                     'set-create', 'set-delete'],
                    [30, 30, 20, 8, 3, 6, 3])[0]
                try:
                    getattr(self, 'op_' + op.replace('-', '_'))(host, rng)
                    self.outcomes[op, 'ok'] += 1
                except REFUSALS as exc:
                    self.assertTrue(str(exc))
                    self.outcomes[op, type(exc).__name__] += 1
                except Exception as exc:
                    self.failures.append('%s: %r' % (op, exc))
        finally:
            host.close()

    def op_write(self, host, rng):
        m = rng.choice(self.members)
        m.gate.exclusive()
        try:
            region = rng.randrange(base.REGIONS)
            m.pattern = m.pattern % 250 + 1
            m.vm.write('vda', region, m.pattern)
            with m.mutex:
                m.model.write('vda', region, m.pattern)
        finally:
            m.gate.release()

    def op_create(self, host, rng):
        m = rng.choice(self.members)
        name = self.unique('c')
        with self.shared([m]):
            host.domain(m.vm.name).create(name, 'off')
            with m.mutex:
                m.model.create(name)

    def op_delete(self, host, rng):
        m = rng.choice(self.members)
        names = m.names()
        if not names:
            raise errors.NotFound('nothing to delete')
        name = rng.choice(names)
        with self.shared([m]):
            host.domain(m.vm.name).delete(name)
            with m.mutex:
                m.model.snaps.pop(name, None)

    def op_revert(self, host, rng):
        m = rng.choice(self.members)
        m.gate.exclusive()
        try:
            names = m.names()
            if not names:
                raise errors.NotFound('nothing to revert to')
            name = rng.choice(names)
            host.domain(m.vm.name).revert(name)
            with m.mutex:
                m.model.revert(name)
        finally:
            m.gate.release()

    def op_commit_all(self, host, rng):
        m = rng.choice(self.members)
        m.gate.exclusive()
        try:
            host.domain(m.vm.name).commit_all()
            with m.mutex:
                m.model.commit_all()
        finally:
            m.gate.release()

    @contextlib.contextmanager
    def shared(self, group):
        for m in group:
            m.gate.shared()
        try:
            yield
        finally:
            for m in group:
                m.gate.unshare()

    def op_set_create(self, host, rng):
        group = rng.sample(self.members, 2)
        name = self.unique('set')
        with self.shared(group):
            sets.create(host, name, [m.vm.name for m in group], 'off')
            for m in group:
                with m.mutex:
                    m.model.create(name)

    def op_set_delete(self, host, rng):
        listed = sets.list_sets(host)
        if not listed:
            raise errors.NotFound('no set to delete')
        data = rng.choice(listed)
        group = [m for m in self.members
                 if m.vm.name in [d['name'] for d in data['domains']]]
        with self.shared(group):
            try:
                sets.delete(host, data['name'])
            finally:
                # Deleted on the members that were free (all, on success).
                for m in group:
                    names = [s['name'] for s in host.domain(m.vm.name).list()]
                    if data['name'] not in names:
                        with m.mutex:
                            m.model.snaps.pop(data['name'], None)

    # -- the test -------------------------------------------------------------

    def test_many_clients_on_many_domains(self):
        for m in self.members:
            m.vm.write('vda', 0, 200)
            m.model.write('vda', 0, 200)
        started = time.monotonic()
        threads = [threading.Thread(target=self.client, args=(seed,))
                   for seed in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
            self.assertFalse(thread.is_alive(), 'a client hangs')
        elapsed = time.monotonic() - started
        self.addDetail('outcomes', _text(sorted(self.outcomes.items())))
        self.addDetail('elapsed', _text('%.1f s' % elapsed))
        self.assertEqual([], self.failures)
        self.assertEqual(OPERATIONS, sum(self.outcomes.values()))
        self.assertGreater(self.outcomes['create', 'ok'], 20)
        for m in self.members:
            self.vm, self.model = m.vm, m.model
            self.verify('domain %s' % m.vm.name)
            self.assertEqual({}, m.vm.domain.blockJobInfo('vda', 0))


def _text(value):
    from testtools import content
    return content.text_content(str(value))
