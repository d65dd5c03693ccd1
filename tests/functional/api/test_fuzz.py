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

"""lightsnap-api fuzzed from its own routes and JSON schemas, against one
real server process with two real domains of two projects.

Every route and method, with generated valid and schema-breaking bodies,
bodies that are not JSON, hostile path parts, roles member and admin, the
caller's resources and another project's: never a 5xx, every answer JSON
(the contract's error body for a 4xx), a refused request changes nothing
(the API's view, the compute's snapshot list, the domain's files and
state file), another project's things are 404 to a member. A few valid
writes are accepted and run for real; the disks are checked against a
model of their data after each phase.
"""

import collections
import json
import os
import time

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import settings
from hypothesis import strategies as st

from tests.functional.api import base
from tests.support import api_fuzz

# LIGHTSNAP_FUZZ_SCALE=4 (say) multiplies the examples: a longer hunt than
# CI's budget allows.
SCALE = float(os.environ.get('LIGHTSNAP_FUZZ_SCALE', '1'))
REFUSED_EXAMPLES = int(800 * SCALE)
ACCEPTED_EXAMPLES = int(10 * SCALE)
# No shrinking: an example is a real request, and derandomize makes a
# failure reproducible as it was found.
FIXED = dict(deadline=None, derandomize=True, database=None,
             phases=[Phase.explicit, Phase.generate],
             suppress_health_check=list(HealthCheck))
TRANSITIONAL = ('creating', 'deleting', 'reverting', 'exporting',
                'restoring')
SET_NAME = 'fixset-%d'


class FuzzTest(base.APITestCase):
    projects = ('project-a', 'project-b')

    def setUp(self):
        super().setUp()
        self.counts = collections.Counter()
        self.kinds = collections.Counter()
        self.by_project = {g.project: g for g in self.guests}
        self.set_serial = 0
        self.exported = set()
        self.accepted_log = []
        self.addDetail('accepted-requests', base.testtools.content.Content(
            base.testtools.content.UTF8_TEXT,
            lambda: ['\n'.join(self.accepted_log).encode('utf-8')]))

    # -- HTTP ---------------------------------------------------------------

    def send(self, req):
        status, headers, raw = api_fuzz.send(
            self.server.port, req['method'], req['path'], req['project'],
            req['roles'], body=req['body'], raw=req['raw'],
            content_type=req['content_type'])
        self.counts[(req['template'], req['method'], status)] += 1
        self.kinds[(req['fault'].split(':')[0], status)] += 1
        return status, headers, raw

    def call(self, method, path, body=None, project='project-a',
             roles='admin'):
        status, headers, raw = api_fuzz.send(self.server.port, method, path,
                                             project, roles, body=body)
        return status, json.loads(raw.decode('utf-8'))

    def describe(self, req, status=None, raw=b''):
        body = req['raw'] if req['raw'] is not None else req['body']
        return '%s %s as %s/%s (%s) body %s -> %s %s' % (
            req['method'], api_fuzz.printable(req['path'], 120),
            req['project'], req['roles'], req['fault'],
            api_fuzz.printable(repr(body), 160), status,
            api_fuzz.printable(raw.decode('utf-8', 'replace'), 300))

    def check_answer(self, req, status, headers, raw):
        what = self.describe(req, status, raw)
        self.assertLess(status, 500, what)
        self.assertIn('x-openstack-request-id',
                      {k.lower() for k in headers}, what)
        self.assertTrue(headers.get('Content-Type', '').startswith(
            'application/json'), what)
        reply = json.loads(raw.decode('utf-8'))
        if status >= 400:
            self.assertEqual(['error'], list(reply), what)
            error = reply['error']
            self.assertEqual({'code', 'title', 'message'}, set(error), what)
            self.assertEqual(status, error['code'], what)
            for key in ('title', 'message'):
                self.assertIsInstance(error[key], str, what)
                self.assertTrue(error[key], what)
        return reply

    # -- what a refused request must not change -------------------------------

    def observed(self):
        uuids = sorted(g.uuid for g in self.guests)
        status, listed = self.call('GET', '/v1/instances?all_projects=1')
        self.assertEqual(200, status, listed)
        instances = sorted((i for i in listed['instances']
                            if i['uuid'] in uuids), key=lambda i: i['uuid'])
        snapshots = {u: self.call('GET', '/v1/instances/%s/snapshots'
                                  % u)[1] for u in uuids}
        sets = self.call('GET', '/v1/sets?all_projects=1')[1]
        compute = {}
        for guest in self.guests:
            entry = self.host.registry.find_domain(guest.vm.name)
            with open(entry['state'], 'rb') as f:
                state_file = f.read()
            compute[guest.uuid] = (
                guest.vm.local_files(), state_file,
                [s['name'] for s in self.host.domain(guest.vm.name).list()])
        exports = sorted(os.listdir(self.export_dir)) \
            if os.path.isdir(self.export_dir) else []
        return instances, snapshots, sets, compute, exports

    def settle(self):
        """Wait until no operation runs on any instance or set."""
        def quiet(status, body):
            return all(i['state'] != 'busy' for i in body['instances'])
        admin = self.client.as_('project-a', 'admin')
        self.wait_for('/v1/instances?all_projects=1', quiet, admin)
        self.wait_for('/v1/sets?all_projects=1', lambda s, b: all(
            x['state'] not in TRANSITIONAL for x in b['sets']), admin)
        for guest in self.guests:
            self.wait_for('/v1/instances/%s/snapshots' % guest.uuid,
                          lambda s, b: all(x['state'] not in TRANSITIONAL
                                           for x in b['snapshots']), admin)

    # -- the resources requests point at --------------------------------------

    def ensure_fixtures(self):
        """Each instance enabled, with snapshot "keep" and a set of its
        own, whatever an accepted request did to them."""
        for guest in self.guests:
            self.use(guest)
            inst = '/v1/instances/%s' % guest.uuid
            status, shown = self.call('GET', inst, project=guest.project,
                                      roles='member')
            if not shown['instance']['enabled']:
                status, reply = self.call('PATCH', inst, {'enabled': True},
                                          project=guest.project,
                                          roles='member')
                self.assertEqual(200, status, reply)
            names = [s['name'] for s in self.call(
                'GET', inst + '/snapshots')[1]['snapshots']]
            if 'keep' not in names:
                self.create_snapshot(guest, 'keep')
            fixture_set = self.world.sets.get(guest.project)
            status, reply = self.call('GET', '/v1/sets/%s' % fixture_set,
                                      project=guest.project, roles='member')
            if status != 200 or reply['set']['state'] != 'available' or \
                    reply['set']['instances'] != [guest.uuid]:
                self.world.sets[guest.project] = self.create_set(guest)
        self.use(self.guests[0])

    def create_snapshot(self, guest, name):
        self.write_all()
        status, reply = self.call(
            'POST', '/v1/instances/%s/snapshots' % guest.uuid,
            {'name': name, 'quiesce': 'off'}, project=guest.project,
            roles='member')
        self.assertEqual(202, status, reply)
        snap = self.wait_snapshot(guest, name, self.as_(guest))[1]
        self.assertEqual('available', snap['snapshot']['state'], snap)
        guest.model.create(name)

    def create_set(self, guest):
        self.set_serial += 1
        name = SET_NAME % self.set_serial
        self.write_all()
        status, reply = self.call('POST', '/v1/sets', {
            'name': name, 'instances': [guest.uuid], 'quiesce': 'off'},
            project=guest.project, roles='member')
        self.assertEqual(202, status, reply)
        done = self.wait_set(reply['set']['id'], self.as_(guest))[1]
        self.assertEqual('available', done['set']['state'], done)
        guest.model.create(name)
        self.world.names = sorted(set(self.world.names) | {name})
        return reply['set']['id']

    # -- the test -------------------------------------------------------------

    def test_fuzz(self):
        started = time.monotonic()
        self.world = api_fuzz.World(
            {g.project: g.uuid for g in self.guests}, {}, ['keep'])
        self.ensure_fixtures()
        ready = time.monotonic()

        @settings(max_examples=REFUSED_EXAMPLES, **FIXED)
        @given(st.data())
        def refused(data):
            req = data.draw(api_fuzz.refused(self.world))
            writes = req['method'] != 'GET'
            before = self.observed() if writes else None
            status, headers, raw = self.send(req)
            self.check_answer(req, status, headers, raw)
            what = self.describe(req, status, raw)
            if (req['owner'] != req['project'] and
                    req['roles'] == 'member' and
                    req['targets_resource'] and req['fault'] != 'method'):
                self.assertEqual(404, status, what)
            if writes:
                self.assertGreaterEqual(status, 400, what)
                self.assertEqual(before, self.observed(), what)

        refused()
        self.verify_all('after the refused requests')
        refused_done = time.monotonic()

        @settings(max_examples=ACCEPTED_EXAMPLES, **FIXED)
        @given(st.data())
        def accepted(data):
            req = data.draw(api_fuzz.accepted(self.world))
            self.run_accepted(req)

        accepted()
        self.settle()
        self.verify_all('after the accepted requests')
        self.report(started, ready, refused_done)

    def run_accepted(self, req):
        guest = self.by_project[req['project']]
        self.use(guest)
        self.write_all()
        before = self.observed()
        status, headers, raw = self.send(req)
        reply = self.check_answer(req, status, headers, raw)
        what = self.describe(req, status, raw)
        self.accepted_log.append(what[:300])
        if status >= 400:
            self.assertIn(status, (403, 409), what)
            self.assertEqual(before, self.observed(), what)
            return
        self.settle()
        self.apply_to_model(req, guest, reply, what)
        self.ensure_fixtures()

    def apply_to_model(self, req, guest, reply, what):
        """What the accepted request did, checked, and written into the
        data model of the instance."""
        op = (req['method'], req['template'])
        body = req['body'] or {}
        name = req.get('name')
        me = self.as_(guest)
        inst = '/v1/instances/%s' % guest.uuid
        if op == ('PATCH', '/v1/instances/{uuid}'):
            shown = self.call('GET', inst)[1]['instance']
            for key, value in body.items():
                self.assertEqual(value, shown[key], what)
        elif op == ('POST', '/v1/instances/{uuid}/snapshots'):
            name = reply['snapshot']['name']
            snap = self.wait_snapshot(guest, name, me)[1]['snapshot']
            self.assertEqual('available', snap['state'], what)
            guest.model.create(name)
        elif op == ('DELETE', '/v1/instances/{uuid}/snapshots/{name}'):
            self.assertEqual(404, self.wait_snapshot(guest, name, me)[0],
                             what)
            guest.model.delete(name)
        elif op[1].endswith('/revert'):
            snap = self.wait_snapshot(guest, name, me)[1]['snapshot']
            self.assertEqual('available', snap['state'], what)
            guest.model.revert(name)
        elif op[1].endswith('/export'):
            snap = self.wait_snapshot(guest, name, me)[1]['snapshot']
            stem = body['file'].rsplit('.', 1)[0]
            if body['file'] in self.exported:
                # One export directory for the host: a name is taken once.
                self.assertEqual('error', snap['state'], what)
                self.assertIn('exists', snap['error'], what)
            else:
                self.assertEqual('available', snap['state'], what)
                self.assertEqual(
                    ['%s-%s.qcow2' % (stem, t) for t in sorted(self.disks)],
                    sorted(f for f in os.listdir(self.export_dir)
                           if f.startswith(stem + '-')), what)
            self.exported.add(body['file'])
        elif op[1].endswith('/commit-all'):
            shown = self.wait_idle(guest, me)
            self.assertEqual(0, shown['snapshot_count'], what)
            self.assertEqual([], self.call('GET', inst + '/snapshots')[1][
                'snapshots'], what)
            guest.model.commit_all()
        elif op == ('POST', '/v1/sets'):
            done = self.wait_set(reply['set']['id'], me)[1]['set']
            self.assertEqual('available', done['state'], what)
            guest.model.create(body['name'])
        else:
            set_name = reply['set']['name']
            status, done = self.wait_set(reply['set']['id'], me)
            if req['method'] == 'DELETE':
                self.assertEqual(404, status, what)
                guest.model.delete(set_name)
            else:
                self.assertEqual('available', done['set']['state'], what)
                guest.model.revert(set_name)

    def report(self, started, ready, refused_done):
        per_route = collections.defaultdict(collections.Counter)
        for (template, method, status), n in self.counts.items():
            per_route['%s %s' % (method, template)][status] += n
        lines = ['%-52s %s' % (route, ' '.join(
            '%dx%d' % (status, n) for status, n in sorted(c.items())))
            for route, c in sorted(per_route.items())]
        total = sum(self.counts.values())
        statuses = collections.Counter()
        for (_, _, status), n in self.counts.items():
            statuses[status] += n
        per_kind = collections.defaultdict(collections.Counter)
        for (kind, status), n in self.kinds.items():
            per_kind[kind][status] += n
        lines.append('by kind: ' + '; '.join('%s %s' % (kind, ' '.join(
            '%dx%d' % kv for kv in sorted(c.items())))
            for kind, c in sorted(per_kind.items())))
        lines.append('%d fuzzed requests (%s); set-up %.1fs, refused phase '
                     '%.1fs, accepted phase %.1fs' % (
                         total, ' '.join('%dx%d' % kv for kv in
                                         sorted(statuses.items())),
                         ready - started, refused_done - ready,
                         time.monotonic() - refused_done))
        summary = '\n'.join(lines)
        self.addDetail('fuzz-summary', base.testtools.content.text_content(
            summary))
