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

"""Dropping the layers that no snapshot, branch or disk needs any more.

The planner picks one step at a time; each is journaled, done through the
merge module (a block job while the domain runs, qemu-img while it is off)
and then applied to the metadata.
"""

import logging

from nova_lightsnap.engine import blockjob
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import journal
from nova_lightsnap.engine import layout
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import planner

LOG = logging.getLogger(__name__)


class Merges:
    """The merging half of DomainSnapshots (see domain.py)."""

    def _progress(self, what):
        callback = self.progress or self.engine.progress
        if callback is None:
            return None
        return lambda pct: callback(what, pct)

    def _collect(self, st):
        """Drop every layer that no name, branch or the disk still needs."""
        while True:
            running = self._running()
            step = None
            for target in sorted(st.disks):
                dstate = st.disks[target]
                sizes = {n: images.allocated(dstate.ref(n))
                         for n in dstate.layers}
                step = planner.next_step(dstate, st.named_layers(target),
                                         running, sizes)
                if step:
                    break
            if step is None:
                self._sync_store(st)
                return
            LOG.info('%s: %s', self.name, step.describe())
            self.steps.append(step)
            if step.kind == planner.REMOVE:
                self._finish_step(st, step)
                continue
            st.journal = journal.Merge(step)
            self._save(st)
            if step.kind == planner.OFFLINE_COMMIT:
                self._offline_commit(st, step)
            else:
                self._block_job(st, step)
            self._finish_step(st, step)

    def _finish_step(self, st, step):
        dstate = st.disks[step.target]
        if step.kind == planner.COMMIT:
            self._rebase_branches(dstate, step)
        st.garbage.extend(dstate.ref(n) for n in step.removed)
        if step.kind != planner.REMOVE and step.survivor == \
                dstate.root.basename:
            # The root holds what the merged run's top held.
            index = layout.layer_index(step.top)
            if index is not None:
                st.root_index = index
        # A kept disk's layer name is history; only live names follow.
        planner.apply(dstate, step, [s for s in st.snapshots
                                     if step.target not in s.kept])
        st.journal = None
        self._save(st)
        self._empty_garbage(st)

    def _rebase_branches(self, dstate, step):
        """A live commit rewrites the backing name of the child in the live
        chain only; a branch a revert left on the merged layer still names
        it. Its content is the same in the base now. Idempotent, so a
        recovered merge does it again safely."""
        live = self._disks()[step.target] if self._running() else None
        for child in dstate.children(step.top):
            ref = dstate.ref(child)
            if live is not None and live.find(ref) is not None:
                continue
            images.rebase_unsafe(ref, step.base, dstate.formats[step.base])

    def _offline_commit(self, st, step):
        dstate = st.disks[step.target]
        base = dstate.ref(step.base)
        merge.offline_commit(
            dstate.ref(step.top), base, dstate.formats[step.base],
            [dstate.ref(child) for child in dstate.children(step.top)],
            progress=self._progress(step.describe()))
        if step.top == dstate.active:
            self._redefine({step.target: (base, dstate.formats[step.base])})

    def _block_job(self, st, step):
        dstate = st.disks[step.target]
        # A pull keeps what lies below its run: the base's parent.
        base = (dstate.layers[step.base] if step.kind == planner.PULL
                else step.base)
        job = merge.BlockJob(
            self.dom, step.kind, step.target, dstate.ref(base),
            dstate.ref(step.top), [dstate.ref(n) for n in step.removed],
            live=lambda: self._disks()[step.target], what=step.describe(),
            watcher=self.engine.watcher, timeout=self.engine.job_timeout,
            bandwidth=self.engine.job_bandwidth,
            progress=self._progress(step.describe()),
            timeout_hint='Retry with a longer --timeout')
        # Refused: the journal stays, and the next operation finds out
        # whether the job ran after all.
        job.start()
        try:
            job.finish()
        except errors.BlockJobFailed as exc:
            if exc.unchanged:
                # The chain is as before the step: nothing to recover.
                st.journal = None
                self._save(st)
            raise

    def _mirror_ready(self, target):
        disk = self._disks().get(target)
        if disk is not None and disk.mirror and disk.mirror['ready']:
            return blockjob.READY
        return None
