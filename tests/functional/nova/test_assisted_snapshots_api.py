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

"""Assisted volume snapshots through Nova's real API, down to our driver.

Nova's own functional harness (nova.tests.functional.libvirt.base
.ServersTestBase): in-process nova-api, conductor, scheduler, placement and
one nova-compute whose ``compute_driver`` is
``lightsnap.driver.LightSnapLibvirtDriver``, set as nova.conf sets it, so
Nova's own loader goes through the shim package nova.virt.lightsnap. RPC
casts stay casts (CAST_AS_CALL = False): the API answers at once, as it
does to Cinder, and the result reaches Cinder only through
``update_snapshot_status``.

Each test plays Cinder's remotefs sequence (NFS or GlusterFS driver, online
snapshots): boot a server, attach a volume, then as admin
POST /os-assisted-volume-snapshots and DELETE
/os-assisted-volume-snapshots/{id}?delete_info=... with the create_info and
delete_info Cinder's ``_create_snapshot_online`` and
``_delete_snapshot_online`` build.

What is fake, and why:

* libvirt: Nova's LibvirtFixture, extended here (ChainDomain,
  ChainConnection) where it cannot stand in for libvirt >= 6 for this
  driver: its XMLDesc has neither ``<serial>`` nor ``<backingStore>`` nor
  ``index`` attributes, its snapshotCreateXML needs a ``<name>``, and its
  block jobs do nothing and end at once without events. The extension keeps
  each volume disk's backing chain, names images by index only (``vdb[0]``
  is refused, as libvirt 9 refuses it), runs block jobs in a timer thread
  that changes the chain and then emits VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2 to
  the registered callbacks, and raises the real ``libvirt.libvirtError``
  (the driver talks to the real libvirt module, Nova to the fake one).
* Cinder: Nova's CinderFixture for attachments, plus the Cinder client
  behind ``nova.volume.cinder.API.update_snapshot_status`` (the fixture
  leaves it out), so that Nova's own method runs and what Cinder would
  receive, status and progress '90%', is recorded. Like Cinder's remotefs
  drivers, the fake moves the connection info's ``name`` to the new active
  file once a snapshot is taken.
* The NFS mount (Nova's mount manager) is mocked; the GlusterFS volume is
  attached through libgfapi, with nothing to mount.
"""

import collections
import json
import queue
import sys
import threading
import urllib.parse
from xml.etree import ElementTree

import fixtures
import libvirt
from oslo_utils.fixture import uuidsentinel as uuids

from nova.compute import manager
from nova import context as nova_context
from nova import objects
from nova.tests.fixtures import libvirt as fakelibvirt

from nova_lightsnap.virt import driver as lightsnap_driver
from tests.functional.nova import harness

# The flags libvirt must get (real libvirt's values: the fixture's fake
# module has VIR_DOMAIN_BLOCK_COMMIT_RELATIVE = 4, which is ACTIVE).
SNAPSHOT_FLAGS = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
                  libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT)
COMMIT_RELATIVE = libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE
REBASE_RELATIVE = libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE

NFS_EXPORT = '192.0.2.10:/srv/cinder'
GLUSTER_EXPORT = '127.0.0.2:/lightsnap'

# How long the fake's block jobs run before they end (in a timer thread).
JOB_SECONDS = 0.02
WAIT_SECONDS = 20


def _libvirt_error(msg, code=libvirt.VIR_ERR_INVALID_ARG):
    return fakelibvirt.make_libvirtError(
        libvirt.libvirtError, msg, error_code=code,
        error_domain=libvirt.VIR_FROM_QEMU, error_message=msg)


# -- the fake libvirt, extended ---------------------------------------------

Image = collections.namedtuple('Image', 'name index format')


class VolumeDisk:
    """The backing chain of one volume disk, as libvirt >= 6 keeps it."""

    def __init__(self, disk_el):
        self.type = disk_el.get('type')  # 'file' or 'network'
        source = disk_el.find('source')
        self.protocol = source.get('protocol')
        self.hosts = [dict(h.attrib) for h in source.findall('host')]
        self.serial = disk_el.findtext('serial')
        alias = disk_el.find('alias')
        self.alias = alias.get('name') if alias is not None else None
        self.chain = []  # [Image], active first
        self.job = None

    @staticmethod
    def source_name(source):
        return source.get('file') if source.get('file') else source.get(
            'name')

    def render(self, target, inactive):
        disk = ElementTree.Element('disk', type=self.type, device='disk')
        ElementTree.SubElement(disk, 'driver', name='qemu',
                               type=self.chain[0].format, cache='none')
        self._source(disk, self.chain[0], None if inactive
                     else self.chain[0].index)
        if not inactive:
            parent = disk
            for image in self.chain[1:]:
                parent = ElementTree.SubElement(parent, 'backingStore',
                                                type=self.type,
                                                index=str(image.index))
                ElementTree.SubElement(parent, 'format', type=image.format)
                self._source(parent, image, None)
            ElementTree.SubElement(parent, 'backingStore')
        ElementTree.SubElement(disk, 'target', dev=target, bus='virtio')
        ElementTree.SubElement(disk, 'serial').text = self.serial
        if self.alias:
            ElementTree.SubElement(disk, 'alias', name=self.alias)
        return disk

    def _source(self, parent, image, index):
        attrs = {}
        if self.type == 'file':
            attrs['file'] = image.name
        else:
            attrs.update(protocol=self.protocol, name=image.name)
        if index is not None:
            attrs['index'] = str(index)
        source = ElementTree.SubElement(parent, 'source', **attrs)
        for host in self.hosts:
            ElementTree.SubElement(source, 'host', **host)


class ChainDomain(fakelibvirt.Domain):
    """Nova's fake domain plus backing chains, indices and block jobs.

    Only volume disks (those attached with a ``<serial>``) are modelled;
    an external snapshot of any other disk, or a disk left out of a
    disk-only snapshot (libvirt would snapshot it under a name of its own),
    is an error here.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()
        self._volumes = {}  # target -> VolumeDisk
        self._next_index = 3  # indices are node ids, not depths
        self.calls = []  # (method, args) of the calls our driver makes

    # attach / detach

    def attachDevice(self, xml):
        result = super().attachDevice(xml)
        disk_el = ElementTree.fromstring(xml)
        if disk_el.tag == 'disk' and disk_el.findtext('serial'):
            vol = VolumeDisk(disk_el)
            source = disk_el.find('source')
            vol.chain = [Image(VolumeDisk.source_name(source),
                               self._new_index(),
                               disk_el.find('driver').get('type'))]
            with self._lock:
                self._volumes[disk_el.find('target').get('dev')] = vol
        return result

    def detachDevice(self, xml):
        disk_el = ElementTree.fromstring(xml)
        if disk_el.tag == 'disk':
            with self._lock:
                self._volumes.pop(disk_el.find('target').get('dev'), None)
        return super().detachDevice(xml)

    def _new_index(self):
        index = self._next_index
        self._next_index += 1
        return index

    # the XML

    def XMLDesc(self, flags):
        root = ElementTree.fromstring(super().XMLDesc(flags))
        devices = root.find('devices')
        with self._lock:
            for pos, disk_el in enumerate(list(devices)):
                if disk_el.tag != 'disk':
                    continue
                target = disk_el.find('target').get('dev')
                if target in self._volumes:
                    devices.remove(disk_el)
                    devices.insert(pos, self._volumes[target].render(
                        target, bool(flags & libvirt.VIR_DOMAIN_XML_INACTIVE)))
        return ElementTree.tostring(root, encoding='unicode')

    def volume_chain(self, target):
        """[(name, index, format)] of a volume disk, active first."""
        with self._lock:
            return list(self._volumes[target].chain)

    # what the driver asks

    def snapshotCreateXML(self, xml, flags):
        self.calls.append(('snapshotCreateXML', (xml, flags)))
        if not flags & libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY:
            raise _libvirt_error('fake: only disk-only snapshots',
                                 libvirt.VIR_ERR_CONFIG_UNSUPPORTED)
        snap = ElementTree.fromstring(xml)
        listed = {d.get('name'): d for d in snap.iterfind('disks/disk')}
        with self._lock:
            targets = [d['target_dev'] for d in
                       self._def['devices']['disks']]
            unlisted = set(targets) - set(listed)
            if unlisted:
                raise _libvirt_error(
                    'fake: disks %s left out of a disk-only snapshot would '
                    'get an external snapshot of their own' % sorted(unlisted))
            changes = {}
            for target, disk_el in listed.items():
                if disk_el.get('snapshot') == 'no':
                    continue
                vol = self._volumes.get(target)
                if disk_el.get('snapshot') != 'external' or vol is None:
                    raise _libvirt_error(
                        'fake: only external snapshots of volume disks, not '
                        '%s' % ElementTree.tostring(disk_el, 'unicode'))
                source = disk_el.find('source')
                changes[target] = Image(VolumeDisk.source_name(source),
                                        None,
                                        disk_el.find('driver').get('type'))
            for target, image in changes.items():
                self._volumes[target].chain.insert(
                    0, image._replace(index=self._new_index()))
        return fakelibvirt.DomainSnapshot('no-metadata', self)

    def _volume(self, disk):
        vol = self._volumes.get(disk)
        if vol is None:
            raise _libvirt_error("fake: no volume disk '%s'" % disk)
        if vol.job is not None:
            raise _libvirt_error("block job already active on '%s'" % disk,
                                 libvirt.VIR_ERR_OPERATION_INVALID)
        return vol

    def _position(self, vol, disk, name):
        """Where ``vdX[N]`` is in the chain; libvirt >= 6 takes no depth."""
        for pos, image in enumerate(vol.chain):
            if name == '%s[%d]' % (disk, image.index):
                return pos
        raise _libvirt_error("could not find image '%s' in chain for '%s'"
                             % (name, disk))

    def blockCommit(self, disk, base, top, bandwidth=0, flags=0):
        # libvirt-python's signature (the fixture's lacks bandwidth).
        self.calls.append(('blockCommit', (disk, base, top, bandwidth,
                                           flags)))
        with self._lock:
            vol = self._volume(disk)
            base_pos = self._position(vol, disk, base)
            top_pos = 0 if top is None else self._position(vol, disk, top)
            if top_pos == 0:
                raise _libvirt_error('fake: active commit is not modelled')
            if flags & libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE:
                raise _libvirt_error('top is not the active image')
            if base_pos <= top_pos:
                raise _libvirt_error('base is not below top')
            chain = vol.chain[:top_pos] + vol.chain[base_pos:]
            self._start_job(disk, vol,
                            libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT, chain)
        return 0

    def blockRebase(self, disk, base, bandwidth=0, flags=0):
        self.calls.append(('blockRebase', (disk, base, bandwidth, flags)))
        with self._lock:
            vol = self._volume(disk)
            if flags & ~REBASE_RELATIVE:
                raise _libvirt_error('fake: only a pull is modelled')
            if base is None:
                if flags & REBASE_RELATIVE:
                    raise _libvirt_error(
                        'flag VIR_DOMAIN_BLOCK_REBASE_RELATIVE is valid only '
                        'with non-null base')
                chain = vol.chain[:1]
            else:
                base_pos = self._position(vol, disk, base)
                if base_pos == 0:
                    raise _libvirt_error('base is the active image')
                chain = vol.chain[:1] + vol.chain[base_pos:]
            self._start_job(disk, vol, libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_PULL,
                            chain)
        return 0

    def _start_job(self, disk, vol, job_type, chain):
        timer = threading.Timer(JOB_SECONDS, self._end_job,
                                (disk, libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED,
                                 chain))
        vol.job = {'type': job_type, 'timer': timer}
        timer.daemon = True
        self._connection.timers.append(timer)
        timer.start()

    def _end_job(self, disk, status, chain=None):
        with self._lock:
            vol = self._volumes.get(disk)
            if vol is None or vol.job is None:
                return
            job, vol.job = vol.job, None
            if status == libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED:
                vol.chain = chain
        # Outside the lock, as libvirt's event loop thread calls back.
        self._connection.emit_block_job(self, disk, job['type'], status)

    def blockJobInfo(self, disk, flags):
        with self._lock:
            vol = self._volumes.get(disk)
            if vol is None or vol.job is None:
                return {}
            return {'type': vol.job['type'], 'bandwidth': 0, 'cur': 1,
                    'end': 2}

    def blockJobAbort(self, disk, flags):
        self.calls.append(('blockJobAbort', (disk, flags)))
        with self._lock:
            vol = self._volumes.get(disk)
            if vol is None or vol.job is None:
                raise _libvirt_error("No active block job on disk '%s'"
                                     % disk, libvirt.VIR_ERR_OPERATION_INVALID)
            vol.job['timer'].cancel()
        self._end_job(disk, libvirt.VIR_DOMAIN_BLOCK_JOB_CANCELED)


class ChainConnection(fakelibvirt.Connection):
    """Makes ChainDomains and delivers block-job events."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._block_job_callbacks = {}
        self._callback_ids = iter(range(100, 10**6))
        self.timers = []
        self.events = []  # (disk, job type, status, callbacks reached)

    def defineXML(self, xml):
        dom = ChainDomain(connection=self, running=False, transient=False,
                          xml=xml)
        self._vms[dom.name()] = dom
        self._emit_lifecycle(dom, fakelibvirt.VIR_DOMAIN_EVENT_DEFINED, 0)
        return dom

    def createXML(self, xml, flags):
        dom = ChainDomain(connection=self, running=True, transient=True,
                          xml=xml)
        self._vms[dom.name()] = dom
        self._emit_lifecycle(dom, fakelibvirt.VIR_DOMAIN_EVENT_STARTED, 0)
        return dom

    def domainEventRegisterAny(self, dom, eventid, callback, opaque):
        if eventid != libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2:
            return super().domainEventRegisterAny(dom, eventid, callback,
                                                  opaque)
        callback_id = next(self._callback_ids)
        self._block_job_callbacks[callback_id] = (callback, opaque)
        return callback_id

    def domainEventDeregisterAny(self, callback_id):
        if self._block_job_callbacks.pop(callback_id, None) is None:
            raise _libvirt_error('fake: no callback %s' % callback_id)

    def emit_block_job(self, dom, disk, job_type, status):
        callbacks = list(self._block_job_callbacks.values())
        self.events.append((disk, job_type, status, len(callbacks)))
        for callback, opaque in callbacks:
            callback(self, dom, disk, job_type, status, opaque)


# -- the fake Cinder client behind update_snapshot_status --------------------

class FakeCinder:
    """What Cinder's snapshot API receives from Nova.

    Stands behind ``nova.volume.cinder.cinderclient`` with only
    ``volume_snapshots.update_snapshot_status``: every other Cinder call
    Nova makes here is served by CinderFixture, and anything else would
    fail loudly.
    """

    def __init__(self, cinder_fixture):
        self.fixture = cinder_fixture
        self.volume_snapshots = self
        self.updates = []  # (snapshot_id, {'status', 'progress'})
        self.lock = threading.Lock()
        self.new_files = {}  # snapshot_id -> (volume_id, new_file)

    def client(self, *args, **kwargs):
        return self

    def expect_create(self, volume_id, snapshot_id, new_file):
        """Cinder's snapshot row, 'creating' until Nova is done."""
        self.fixture.volume_snapshots[snapshot_id] = {
            'id': snapshot_id, 'volume_id': volume_id, 'status': 'creating',
            'progress': '0%'}
        self.new_files[snapshot_id] = (volume_id, new_file)

    def update_snapshot_status(self, snapshot_id, update):
        with self.lock:
            self.updates.append((snapshot_id, dict(update)))
        snapshot = self.fixture.volume_snapshots.get(snapshot_id)
        if snapshot is not None:
            snapshot.update(update)
        if update.get('status') == 'creating' and \
                snapshot_id in self.new_files:
            # Cinder's remotefs drivers now name the new file as the
            # volume's active image in the connection info.
            volume_id, new_file = self.new_files[snapshot_id]
            info = self.fixture.VOLUME_CONNECTION_INFO[volume_id]
            info['data']['name'] = new_file

    def updates_for(self, snapshot_id):
        with self.lock:
            return [u for s, u in self.updates if s == snapshot_id]


# -- the tests ----------------------------------------------------------------

class AssistedVolumeSnapshotsApiTest(harness.LightSnapServersTestBase):
    microversion = 'latest'
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        # nova-compute as an operator runs it, our [lightsnap] options too.
        self.flags(job_timeout=10, group='lightsnap')
        self.fake_cinder = FakeCinder(self.cinder)
        self.useFixture(fixtures.MockPatch(
            'nova.volume.cinder.cinderclient',
            side_effect=self.fake_cinder.client))
        # Per-test connection info, kept off the fixture's class attribute.
        self.cinder.VOLUME_CONNECTION_INFO = dict(
            self.cinder.VOLUME_CONNECTION_INFO)
        # Nova's NFS volume driver mounts the export with its mount manager.
        self.mounts = self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.volume.mount.mount')).mock
        self.useFixture(fixtures.MockPatch(
            'nova.virt.libvirt.volume.mount.umount'))
        self.done = self._spy_compute_manager()
        self.ctxt = nova_context.get_admin_context()

        self.start_compute()
        self.compute = self.computes['compute1']
        self.conn = self.compute.driver._host.get_connection()
        self.addCleanup(self._cancel_jobs)

    def _get_connection(self, host_info=None, pci_info=None, mdev_info=None,
                        vdpa_info=None, libvirt_version=None,
                        qemu_version=None, hostname=None):
        return ChainConnection(
            'qemu:///system',
            version=libvirt_version or fakelibvirt.FAKE_LIBVIRT_VERSION,
            hv_version=qemu_version or fakelibvirt.FAKE_QEMU_VERSION,
            host_info=host_info or fakelibvirt.HostInfo(
                cpu_nodes=2, cpu_sockets=1, cpu_cores=2, cpu_threads=2),
            hostname=hostname)

    def _cancel_jobs(self):
        for timer in self.conn.timers:
            timer.cancel()

    def _spy_compute_manager(self):
        """A queue of ComputeManager.volume_snapshot_* calls that returned.

        The API casts to nova-compute; the test waits for the compute
        manager to be done (status sent, connection info refreshed)
        before it looks.
        """
        done = queue.Queue()
        for name in ('volume_snapshot_create', 'volume_snapshot_delete'):
            original = getattr(manager.ComputeManager, name)

            def spy(self_, context, instance, volume_id, *args,
                    _original=original, _name=name, **kwargs):
                try:
                    return _original(self_, context, instance, volume_id,
                                     *args, **kwargs)
                finally:
                    done.put(_name)

            self.useFixture(fixtures.MonkeyPatch(
                'nova.compute.manager.ComputeManager.' + name, spy))
        return done

    def _wait_done(self, name):
        self.assertEqual(name, self.done.get(timeout=WAIT_SECONDS))

    # -- Cinder's side -------------------------------------------------------

    def _boot_with_volume(self, volume_id, connection_info):
        self.cinder.VOLUME_CONNECTION_INFO[volume_id] = connection_info
        server = self._create_server(networks='none')
        self._attach_volume(server, volume_id)
        dom = self.conn.lookupByUUIDString(server['id'])
        self.assertIsInstance(dom, ChainDomain)
        return server, dom

    def _create(self, volume_id, snapshot_id, new_file):
        self.fake_cinder.expect_create(volume_id, snapshot_id, new_file)
        resp = self.admin_api.api_post('/os-assisted-volume-snapshots', {
            'snapshot': {'volume_id': volume_id, 'create_info': {
                'snapshot_id': snapshot_id, 'type': 'qcow2',
                'new_file': new_file}}})
        self.assertEqual(200, resp.status)
        self.assertEqual({'snapshot': {'id': None, 'volumeId': volume_id}},
                         resp.body)
        self._wait_done('volume_snapshot_create')

    def _delete(self, volume_id, snapshot_id, file_to_merge,
                merge_target_file):
        delete_info = {'type': 'qcow2', 'file_to_merge': file_to_merge,
                       'merge_target_file': merge_target_file,
                       'volume_id': volume_id}
        resp = self.admin_api.api_delete(
            '/os-assisted-volume-snapshots/%s?delete_info=%s' % (
                snapshot_id, urllib.parse.quote(json.dumps(delete_info))))
        self.assertEqual(204, resp.status)
        self._wait_done('volume_snapshot_delete')

    def _bdm_connection_info(self, server, volume_id):
        bdm = objects.BlockDeviceMapping.get_by_volume_and_instance(
            self.ctxt, volume_id, server['id'])
        return json.loads(bdm.connection_info)

    def _pop_calls(self, dom):
        calls, dom.calls[:] = list(dom.calls), []
        return calls

    @staticmethod
    def _snapshot_disks(xml):
        snap = ElementTree.fromstring(xml)
        return {d.get('name'): (d.get('snapshot'), d.get('type'),
                                d.find('driver').get('type')
                                if d.find('driver') is not None else None,
                                dict(d.find('source').attrib)
                                if d.find('source') is not None else None)
                for d in snap.iterfind('disks/disk')}

    def _chain(self, dom, target='vdb'):
        return [(name.rsplit('/', 1)[-1], fmt)
                for name, _, fmt in dom.volume_chain(target)]

    def _index(self, dom, basename, target='vdb'):
        for name, index, _ in dom.volume_chain(target):
            if name.rsplit('/', 1)[-1] == basename:
                return '%s[%d]' % (target, index)
        self.fail('%s not in the chain of %s' % (basename, target))

    # -- tests ---------------------------------------------------------------

    def test_nfs_volume_create_commit_pull(self):
        # nova-compute loaded our driver by name, through the shim.
        self.assertIs(lightsnap_driver.LightSnapLibvirtDriver,
                      type(self.compute.driver))
        self.assertIs(sys.modules['nova.virt.lightsnap.driver']
                      .LightSnapLibvirtDriver, type(self.compute.driver))

        vol = uuids.nfs_volume
        base_file = 'volume-%s' % vol
        s1, s2 = uuids.snap1, uuids.snap2
        f1, f2 = '%s.%s' % (base_file, s1), '%s.%s' % (base_file, s2)
        server, dom = self._boot_with_volume(vol, {
            'driver_volume_type': 'nfs',
            'data': {'export': NFS_EXPORT, 'name': base_file,
                     'format': 'raw', 'options': None}})
        self.mounts.assert_called_once()
        mnt = dom.volume_chain('vdb')[0].name.rsplit('/', 1)[0]
        self.assertEqual([(base_file, 'raw')], self._chain(dom))

        # Cinder's _create_snapshot_online, twice.
        self._create(vol, s1, f1)
        (call,) = self._pop_calls(dom)
        self.assertEqual('snapshotCreateXML', call[0])
        xml, flags = call[1]
        self.assertEqual(SNAPSHOT_FLAGS, flags)
        self.assertEqual({
            'vda': ('no', None, None, None),
            'vdb': ('external', 'file', 'qcow2',
                    {'file': '%s/%s' % (mnt, f1)})},
            self._snapshot_disks(xml))
        self.assertEqual([(f1, 'qcow2'), (base_file, 'raw')],
                         self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'}],
                         self.fake_cinder.updates_for(s1))
        # Nova refreshed the connection info from Cinder afterwards.
        self.assertEqual(f1, self._bdm_connection_info(
            server, vol)['data']['name'])

        self._create(vol, s2, f2)
        self.assertEqual([(f2, 'qcow2'), (f1, 'qcow2'), (base_file, 'raw')],
                         self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'}],
                         self.fake_cinder.updates_for(s2))
        self._pop_calls(dom)

        # Snapshot 1 is not the active file: Cinder commits its file into
        # the base below.
        commit = ('vdb', self._index(dom, base_file), self._index(dom, f1), 0,
                  COMMIT_RELATIVE)
        self._delete(vol, s1, f1, base_file)
        self.assertEqual([('blockCommit', commit)], self._pop_calls(dom))
        # The driver learnt the job's end from libvirt's block-job event,
        # and let go of its callback.
        self.assertEqual([('vdb', libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT,
                           libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED, 1)],
                         self.conn.events)
        self.assertEqual({}, self.conn._block_job_callbacks)
        self.assertEqual([(f2, 'qcow2'), (base_file, 'raw')],
                         self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'},
                          {'status': 'deleting', 'progress': '90%'}],
                         self.fake_cinder.updates_for(s1))

        # Snapshot 2 is the active file and its base the volume's first
        # file: Cinder asks for a pull of the whole chain (base None).
        self._delete(vol, s2, None, None)
        self.assertEqual([('blockRebase', ('vdb', None, 0, 0))],
                         self._pop_calls(dom))
        self.assertEqual(('vdb', libvirt.VIR_DOMAIN_BLOCK_JOB_TYPE_PULL,
                          libvirt.VIR_DOMAIN_BLOCK_JOB_COMPLETED, 1),
                         self.conn.events[-1])
        self.assertEqual([(f2, 'qcow2')], self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'},
                          {'status': 'deleting', 'progress': '90%'}],
                         self.fake_cinder.updates_for(s2))
        self.assertEqual(f2, self._bdm_connection_info(
            server, vol)['data']['name'])

    def test_gluster_volume_create_pull_commit(self):
        vol = uuids.gluster_volume
        base_file = 'volume-%s' % vol
        snaps = [uuids.gsnap1, uuids.gsnap2, uuids.gsnap3]
        files = ['%s.%s' % (base_file, s) for s in snaps]
        server, dom = self._boot_with_volume(vol, {
            'driver_volume_type': 'glusterfs',
            'data': {'export': GLUSTER_EXPORT, 'name': base_file,
                     'format': 'raw'}})
        # libgfapi: a network disk, nothing mounted on the host.
        self.mounts.assert_not_called()
        self.assertEqual('lightsnap/' + base_file,
                         dom.volume_chain('vdb')[0].name)

        for snap, new_file in zip(snaps, files):
            self._create(vol, snap, new_file)
        calls = self._pop_calls(dom)
        self.assertEqual(['snapshotCreateXML'] * 3, [c[0] for c in calls])
        self.assertEqual([SNAPSHOT_FLAGS] * 3, [c[1][1] for c in calls])
        snap_el = ElementTree.fromstring(calls[0][1][0]).find(
            "disks/disk[@name='vdb']")
        self.assertEqual(('external', 'network'),
                         (snap_el.get('snapshot'), snap_el.get('type')))
        self.assertEqual({'protocol': 'gluster',
                          'name': 'lightsnap/' + files[0]},
                         snap_el.find('source').attrib)
        self.assertEqual([{'name': '127.0.0.2', 'port': '24007'}],
                         [h.attrib for h in snap_el.iterfind('source/host')])
        self.assertEqual(
            [(f, 'qcow2') for f in reversed(files)] + [(base_file, 'raw')],
            self._chain(dom))

        # Snapshot 3 is the active file, its base snapshot 2's file:
        # Cinder asks to pull into the active image down to the file below
        # (snapshot 1's), which stays its backing file.
        pull = ('vdb', self._index(dom, files[0]), 0, REBASE_RELATIVE)
        self._delete(vol, snaps[2], files[0], None)
        self.assertEqual([('blockRebase', pull)], self._pop_calls(dom))
        self.assertEqual([(files[2], 'qcow2'), (files[0], 'qcow2'),
                          (base_file, 'raw')], self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'},
                          {'status': 'deleting', 'progress': '90%'}],
                         self.fake_cinder.updates_for(snaps[2]))

        # Snapshot 1's file is not active: committed into the volume's
        # first file.
        commit = ('vdb', self._index(dom, base_file),
                  self._index(dom, files[0]), 0, COMMIT_RELATIVE)
        self._delete(vol, snaps[0], files[0], base_file)
        self.assertEqual([('blockCommit', commit)], self._pop_calls(dom))
        self.assertEqual([(files[2], 'qcow2'), (base_file, 'raw')],
                         self._chain(dom))
        self.assertEqual([{'status': 'creating', 'progress': '90%'},
                          {'status': 'deleting', 'progress': '90%'}],
                         self.fake_cinder.updates_for(snaps[0]))

    def test_hostile_file_names_reach_the_driver_and_change_nothing(self):
        vol = uuids.evil_volume
        base_file = 'volume-%s' % vol
        server, dom = self._boot_with_volume(vol, {
            'driver_volume_type': 'nfs',
            'data': {'export': NFS_EXPORT, 'name': base_file,
                     'format': 'raw', 'options': None}})
        xml = dom.XMLDesc(0)

        # Nova's API schema takes any string: the cast reaches the driver,
        # which refuses before libvirt is asked anything.
        self._create(vol, uuids.evil_create, '../evil')
        self.assertEqual([], dom.calls)
        self.assertEqual(xml, dom.XMLDesc(0))
        self.assertEqual([{'status': 'error', 'progress': '90%'}],
                         self.fake_cinder.updates_for(uuids.evil_create))
        self.assertEqual(base_file, self._bdm_connection_info(
            server, vol)['data']['name'])

        self._delete(vol, uuids.evil_delete, '../../etc/passwd', base_file)
        self.assertEqual([], dom.calls)
        self.assertEqual(xml, dom.XMLDesc(0))
        self.assertEqual([{'status': 'error_deleting', 'progress': '90%'}],
                         self.fake_cinder.updates_for(uuids.evil_delete))
        # The instance is untouched.
        self._wait_for_state_change(server, 'ACTIVE')
