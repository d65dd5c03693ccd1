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

"""Light snapshots through Nova's own lifecycle, in Nova's services.

In-process nova-api, conductor, scheduler, placement and two nova-computes
running LightSnapLibvirtDriver (tests/functional/nova/harness.py). Servers
are booted, rebooted, resized, migrated and deleted through Nova's REST
API; light snapshots are taken through our RPC endpoint, which the driver
serves from ``init_host`` on Nova's own (fake://) transport, reached with
our ComputeClient as the lightsnap API reaches it.

What is fake, and why: libvirt is Nova's LibvirtFixture, and Nova's image
backend creates no disk files, so no block job or qemu-img can run. The
engine is therefore the real DomainSnapshots minus its disk and libvirt
work (MetadataOnlyDomainSnapshots: the metadata, journal, planner steps and
flags are the real code; taking a snapshot, a block job or qemu-img is
recorded instead). This proves the wiring: which hook Nova reaches, with
which instance, under which state, and what the domain XML Nova hands
libvirt says. What the hooks do to real disks is proven on real libvirt
and QEMU in tests/functional/test_nova_hooks.py.
"""

import os

import fixtures

from nova import context as nova_context
from nova import rpc as nova_rpc

from nova_lightsnap import chain
from nova_lightsnap.compute import rpcapi
from nova_lightsnap.engine import domain
from nova_lightsnap.engine import errors
from nova_lightsnap.virt import locator
from tests.functional.nova import harness

DISK_SIZE = 1024 ** 3


class MetadataOnlyDomainSnapshots(domain.DomainSnapshots):
    """The engine with no disk or libvirt effect (see the module doc)."""

    calls = []  # (method, domain uuid), class-wide: the test reads it

    def _check_chain(self, st):
        # The fake domain's XML has no backing chains to compare.
        pass

    def _live_capacities(self):
        return {}

    def _fake_source(self, target, ref):
        """What libvirt shows after a switch or a pivot."""
        for disk in self.dom._def['devices']['disks']:
            if disk.get('target_dev') == target:
                disk['source'] = ref.path

    def take(self, prepared):
        self.calls.append(('take', self.uuid))
        if not prepared.running:
            return super().take(prepared)
        for target, ref in prepared.overlays.items():
            self._fake_source(target, ref)

    def _block_job(self, st, step):
        self.calls.append(('block_job:' + step.kind, self.uuid))
        if step.kind == 'commit-active':
            self._fake_source(step.target,
                              st.disks[step.target].ref(step.base))

    def _offline_commit(self, st, step):
        self.calls.append(('offline_commit', self.uuid))


class LifecycleBase(harness.LightSnapServersTestBase):
    microversion = 'latest'
    ADMIN_API = True

    def setUp(self):
        super().setUp()
        self.instances_path = self.useFixture(fixtures.TempDir()).path
        self.flags(instances_path=self.instances_path)
        self.flags(state_dir=os.path.join(self.instances_path, 'state'),
                   group='lightsnap')
        self.flags(allow_resize_to_same_host=False)
        MetadataOnlyDomainSnapshots.calls = []
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.engine.domain.DomainSnapshots',
            MetadataOnlyDomainSnapshots))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.engine.images.capacity', lambda ref: DISK_SIZE))
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.engine.images.create_overlay',
            lambda ref, *args, **kwargs: open(ref.path, 'w').close()))
        # No disk files: Nova re-creates no backing files from them, and
        # moves none (as in Nova's own functional tests of resize); the
        # instances_path is shared by the two computes of this process.
        self.useFixture(fixtures.MonkeyPatch(
            'nova_lightsnap.virt.hooks.Hooks.backing_disk_info',
            lambda self_, instance, disk_info: []))
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.driver.LibvirtDriver._get_instance_disk_info',
            return_value=[]))
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.driver.LibvirtDriver._is_path_shared_with',
            return_value=True))
        self.start_compute('compute1')
        self.start_compute('compute2')
        self.ctxt = {'request_id': 'req-test', 'project_id': 'p',
                     'user_id': 'u', 'roles': ['admin']}
        self.client = rpcapi.ComputeClient(nova_rpc.TRANSPORT,
                                           timeout=30)

    # -- helpers --------------------------------------------------------------

    def _boot(self, enable=True, host='compute1'):
        server = self._build_server(networks='none', host=host)
        if enable:
            server['metadata'] = {'lightsnap_enable': 'true'}
        created = self.api.post_server({'server': server})
        return self._wait_for_state_change(created, 'ACTIVE')

    def _instance(self, server):
        from nova import objects
        return objects.Instance.get_by_uuid(
            nova_context.get_admin_context(), server['id'])

    def _state(self, server):
        return locator.load_state(self._instance(server))

    def _root_source(self, server):
        """The root disk's file in the domain XML Nova gave libvirt."""
        host = self._instance(server).host
        conn = self.computes[host].driver._host.get_connection()
        xml = conn.lookupByUUIDString(server['id']).XMLDesc(0)
        disks = chain.parse_disks(xml, include_unsupported=True)
        return disks[0].active.ref.path

    def _disk(self, server, name):
        return os.path.join(self.instances_path, server['id'], name)


class LifecycleTest(LifecycleBase):

    def test_enable_snapshot_hard_reboot_resize_and_delete(self):
        server = self._boot()
        uuid = server['id']
        # Spawn opted the instance in: metadata beside its disk.
        st = self._state(server)
        self.assertTrue(st.enabled)
        self.assertEqual(self._disk(server, 'disk'), st.disks['vda'].root.path)

        # Snapshots through the RPC endpoint that init_host started.
        self.client.create_snapshot(self.ctxt, 'compute1', uuid, 's1')
        self.client.create_snapshot(self.ctxt, 'compute1', uuid, 's2')
        view = self.client.get_instance(self.ctxt, 'compute1', uuid)
        self.assertEqual((['s1', 's2'], 2), (
            [s['name'] for s in view['snapshots']], view['snapshot_index']))
        self.assertIn(('take', uuid), MetadataOnlyDomainSnapshots.calls)

        # Hard reboot: Nova regenerates the XML; the root disk is the
        # active overlay, not Nova's "disk".
        self._reboot_server(server, hard=True)
        self.assertEqual(self._disk(server, 'disk.ls0002.qcow2'),
                         self._root_source(server))
        # Power off and on go through the same regeneration.
        server = self._stop_server(server)
        server = self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(self._disk(server, 'disk.ls0002.qcow2'),
                         self._root_source(server))

        # A cold migration commits everything first, then the destination
        # starts over with the index and flags kept.
        self._migrate_server(server)
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertIn(('block_job:commit-active', uuid),
                      MetadataOnlyDomainSnapshots.calls)
        st = self._state(server)
        self.assertEqual((False, [], 2, 3),
                         (st.committed, st.snapshots, st.root_index,
                          st.next_index))
        self.assertEqual(self._disk(server, 'disk'),
                         self._root_source(server))
        self._confirm_resize(server)
        # The endpoint on the destination serves it now.
        self.client.create_snapshot(self.ctxt, 'compute2', uuid, 's3')
        self.assertEqual(['s3'], [s.name for s in self._state(
            server).snapshots])
        self.assertRaises(errors.NotFound, self.client.create_snapshot,
                          self.ctxt, 'compute1', uuid, 's4')

        # Delete: the instance's metadata goes with its directory.
        self._delete_server(server)
        self.assertFalse(os.path.exists(self._disk(server, uuid +
                                                   '.lightsnap.json')))
        self.assertIsNone(self.computes['compute2'].driver.lightsnap.host
                          .registry.find_domain(uuid))

    def test_not_opted_in_is_plain_nova(self):
        server = self._boot(enable=False)
        self.assertIsNone(self._state(server))
        self._reboot_server(server, hard=True)
        self.assertEqual(self._disk(server, 'disk'), self._root_source(server))
        self.assertRaisesRegex(
            errors.InvalidState, 'not enabled', self.client.create_snapshot,
            self.ctxt, 'compute1', server['id'], 's1')
        # Opting in later through the endpoint works.
        view = self.client.set_flags(self.ctxt, 'compute1', server['id'],
                                     enable=True)
        self.assertTrue(view['enabled'])
        self.assertEqual([], MetadataOnlyDomainSnapshots.calls)

    def test_rescued_instance_refuses_light_snapshots(self):
        server = self._boot()
        self.client.create_snapshot(self.ctxt, 'compute1', server['id'], 's1')
        self._rescue_server(server)
        self.assertRaisesRegex(
            errors.InvalidState, 'rescued', self.client.revert_snapshot,
            self.ctxt, 'compute1', server['id'], 's1')
        # The rescue domain attaches the original disk: its overlay.
        conn = self.computes['compute1'].driver._host.get_connection()
        xml = conn.lookupByUUIDString(server['id']).XMLDesc(0)
        self.assertIn(self._disk(server, 'disk.ls0001.qcow2'), xml)


class LiveMigrationPolicyTest(LifecycleBase):
    # As in production, the API casts: a refused migration is an 'error'
    # migration record, not an API error.
    CAST_AS_CALL = False

    def test_live_migration_refused_by_policy_leaves_the_instance(self):
        self.flags(live_migration='refuse', group='lightsnap')
        server = self._boot()
        self.client.create_snapshot(self.ctxt, 'compute1', server['id'],
                                    's1')
        self.api.post_server_action(server['id'], {
            'os-migrateLive': {'host': 'compute2',
                               'block_migration': 'auto'}})
        self._wait_for_migration_status(server, ['error'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(['s1'], [s.name for s in self._state(
            server).snapshots])
        self.assertEqual(self._disk(server, 'disk.ls0001.qcow2'),
                         self._root_source(server))
