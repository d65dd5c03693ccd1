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

"""A libvirt domain in memory, for running the engine in milliseconds.

Only what DomainSnapshots and the merge module call, with libvirt's
shape: the live XML carries every disk's backing chain with node indices
(not depths), the inactive XML names the active images only, block jobs
end at once (an active commit waits, ready, for its pivot), and nothing
sends events: the live XML is the only signal, as after a lost event. The
images themselves are names only (the engine's qemu-img calls are
mocked by the tests).
"""

import re

import libvirt

from nova_lightsnap.chain import ImageRef


def _error(message, code=libvirt.VIR_ERR_NO_DOMAIN):
    exc = libvirt.libvirtError(message)
    exc.err = (code, 0, message, 0, None, None, None, 0, 0)
    return exc


class FakeDomain:

    def __init__(self, conn, directory, disks, running=True,
                 persistent=True, uuid='9d1c2c34-0000-4000-8000-000000000001',
                 name='vm1'):
        """``disks``: target -> root basename in ``directory``."""
        self.conn = conn
        self.directory = directory
        self.uuid, self._name = uuid, name
        self.running = running
        self.persistent = persistent
        # What qemu-img would read in the headers: basename -> backing.
        self.backing = {b: None for b in disks.values()}
        self.defined = dict(disks)  # target -> active basename
        self.live = {t: [b] for t, b in disks.items()} if running else {}
        self.jobs = {}  # target -> {'kind': ..., 'ready': bool, ...}
        self.calls = []
        self._node = 0
        self._nodes = {}  # (target, basename) -> index

    # -- identity and state ------------------------------------------------

    def UUIDString(self):
        return self.uuid

    def name(self):
        return self._name

    def isActive(self):
        return int(self.running)

    def isPersistent(self):
        return int(self.persistent)

    def hasManagedSaveImage(self, flags):
        return 0

    def listAllSnapshots(self, flags):
        return []  # libvirt's own snapshots: none

    def setMetadata(self, *args):
        return 0  # settle: no earlier call runs

    def create(self):
        self.calls.append(('create',))
        self._start()

    def destroy(self):
        self.calls.append(('destroy',))
        self.running = False
        self.live = {}
        self.jobs = {}
        if not self.persistent:
            # A transient domain is gone once stopped.
            self.conn.domains.pop(self.uuid, None)
            self.conn.gone = self

    def _start(self):
        self.running = True
        self.live = {t: self._chain(b) for t, b in self.defined.items()}

    def _chain(self, basename):
        out = [basename]
        while self.backing.get(out[-1]):
            out.append(self.backing[out[-1]])
        return out

    # -- XML ------------------------------------------------------------------

    def _ref(self, basename):
        return ImageRef('file', '%s/%s' % (self.directory, basename))

    def _index(self, target, basename):
        key = (target, basename)
        if key not in self._nodes:
            self._node += 1
            self._nodes[key] = self._node
        return self._nodes[key]

    def XMLDesc(self, flags=0):
        inactive = (flags & libvirt.VIR_DOMAIN_XML_INACTIVE or
                    not self.running)
        disks = []
        for target in sorted(self.defined):
            names = ([self.defined[target]] if inactive
                     else self.live[target])
            parts = ["<disk type='file' device='disk'>"
                     "<driver name='qemu' type='qcow2'/>"]
            for depth, basename in enumerate(names):
                index = ('' if inactive else
                         " index='%d'" % self._index(target, basename))
                source = "<source file='%s'%s/>" % (
                    self._ref(basename).path, '' if depth else index)
                if depth == 0:
                    parts.append(source)
                else:
                    parts.append("<backingStore type='file'%s>"
                                 "<format type='qcow2'/>%s"
                                 % (index, source))
            parts.append('<backingStore/>' +
                         '</backingStore>' * (len(names) - 1))
            job = self.jobs.get(target)
            if job and job['kind'] == 'active-commit' and not inactive:
                parts.append("<mirror type='file' job='active-commit' "
                             "ready='%s'/>"
                             % ('yes' if job['ready'] else 'no'))
            parts.append("<target dev='%s' bus='virtio'/></disk>" % target)
            disks.append(''.join(parts))
        return ("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                "<devices>%s</devices></domain>"
                % (self._name, self.uuid, ''.join(disks)))

    # -- snapshots and block jobs --------------------------------------------

    def snapshotCreateXML(self, xml, flags):
        self.calls.append(('snapshotCreateXML', flags))
        for target, path in re.findall(
                r"<disk name='([^']*)' snapshot='external' type='file'>"
                r"<driver type='qcow2'/><source file='([^']*)'/>", xml):
            basename = path.rsplit('/', 1)[1]
            self.backing[basename] = self.live[target][0]
            self.live[target].insert(0, basename)
            # libvirt switches the persistent definition too.
            self.defined[target] = basename

    def _by_index(self, target, name):
        index = int(re.match(r'^[a-z]+\[(\d+)\]$', name).group(1))
        for basename in self.live[target]:
            if self._nodes.get((target, basename)) == index:
                return self.live[target].index(basename)
        raise _error('no image %s' % name, libvirt.VIR_ERR_INVALID_ARG)

    def blockCommit(self, target, base, top, bandwidth, flags):
        self.calls.append(('blockCommit', target, base, top, flags))
        chain = self.live[target]
        below = self._by_index(target, base)
        if flags & libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE:
            self.jobs[target] = {'kind': 'active-commit', 'ready': True,
                                 'base': below}
            return 0
        above = self._by_index(target, top)
        self.backing[chain[above - 1]] = chain[below]
        del chain[above:below]
        return 0

    def blockRebase(self, target, base, bandwidth, flags):
        self.calls.append(('blockRebase', target, base, flags))
        chain = self.live[target]
        below = self._by_index(target, base)
        self.backing[chain[0]] = chain[below]
        del chain[1:below]
        return 0

    def blockJobInfo(self, target, flags):
        job = self.jobs.get(target)
        return {'cur': 1, 'end': 1} if job else {}

    def blockJobAbort(self, target, flags):
        self.calls.append(('blockJobAbort', target, flags))
        job = self.jobs.pop(target, None)
        if job and flags & libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT:
            del self.live[target][:job['base']]
            self.defined[target] = self.live[target][0]
        return 0


class FakeConnection:

    def __init__(self):
        self.domains = {}
        self.gone = None  # the last transient domain stopped

    def add(self, dom):
        self.domains[dom.uuid] = dom
        return dom

    def defineXML(self, xml):
        dom = next(iter(self.domains.values()), None) or self.gone
        dom.defined.update(self._sources(xml))
        dom.persistent = True
        return dom

    def createXML(self, xml, flags):
        dom = self.gone
        dom.defined.update(self._sources(xml))
        self.domains[dom.uuid] = dom
        dom._start()
        return dom

    def lookupByUUIDString(self, uuid):
        try:
            return self.domains[uuid]
        except KeyError:
            raise _error('Domain not found: %s' % uuid) from None

    def domainListGetStats(self, doms, stats):
        return []

    @staticmethod
    def _sources(xml):
        out = {}
        for disk in re.findall(r'<disk .*?</disk>', xml, re.S):
            path = re.search(r'<source file=[\'"]([^\'"]*)', disk).group(1)
            target = re.search(r'<target dev=[\'"]([^\'"]*)', disk).group(1)
            out[target] = path.rsplit('/', 1)[1]
        return out
