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

"""Finishing or rolling back what a killed operation left in the journal.

Runs under the domain's lock, before any new operation reads the chain
(DomainSnapshots.operation): a create or revert is finished when every
disk switched and rolled back when none did; a merge step is finished when
the live chain shows it took effect, and otherwise retried by the next
collection.
"""

import contextlib
import os

import libvirt

from nova_lightsnap import chain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.engine import journal
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import planner


class Recovery:
    """The recovery half of DomainSnapshots (see domain.py)."""

    def _recover(self, st):
        cut = st.journal
        if isinstance(cut, journal.Switch):
            self._recover_switch(st, cut)
        elif isinstance(cut, journal.Merge):
            self._recover_merge(st, cut)
        else:
            raise errors.LightSnapError('unknown journal entry %r in %s'
                                        % (cut.OP, self.state_file.path))
        st.journal = None
        self._save(st)

    def _recover_switch(self, st, switch):
        """A create or revert was cut off: finish it if the disks switched,
        roll it back if none did."""
        new = {t: st.disks[t].ref(b) for t, b in switch.overlays.items()}
        if isinstance(switch, journal.Revert) and switch.xml and \
                not self._defined():
            # A transient domain destroyed for a revert: bring it back on
            # the disks it ran on, then decide as for any other domain.
            self.dom = self.conn.createXML(switch.xml, 0)
        actives = self._actives()
        switched = [t for t in new if actives.get(t) == new[t]]
        phase = switch.phase(switched)
        if phase == journal.SWITCHED:
            self._commit_switch(st, switch)
            self._report('finished the %s of %r that was interrupted'
                         % (switch.OP, switch.name))
        elif phase == journal.INTENT:
            self._undefine_overlays(st, new)
            kept = getattr(switch, 'kept', {})
            for target, ref in new.items():
                images.remove(ref)
                if target in kept:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(images.staging_path(ref))
            self._report('rolled back the %s of %r that was interrupted; '
                         'nothing changed' % (switch.OP, switch.name))
        else:
            raise errors.ChainMismatch(
                'the interrupted %s of %r switched disks %s but not the '
                'others; fix the domain XML by hand (see %s)'
                % (switch.OP, switch.name, ', '.join(switched),
                   self.state_file.path))
        if getattr(switch, 'was_running', False) and not self._running():
            self.dom.create()
            self._report('started %s again' % self.name)

    def _undefine_overlays(self, st, new):
        """A revert cut between its defineXML and the domain's restart
        leaves the definition on overlays that are about to go."""
        if not self._running() or not self.dom.isPersistent():
            return
        defined = {d.target: d.active.ref for d in chain.parse_disks(
            self._xml(inactive=True))}
        back = {t: (st.disks[t].ref(st.disks[t].active),
                    st.disks[t].formats[st.disks[t].active])
                for t, ref in new.items() if defined.get(t) == ref}
        if back:
            self._redefine(back)

    def _defined(self):
        try:
            self.dom = self.conn.lookupByUUIDString(self.uuid)
            return True
        except libvirt.libvirtError:
            return False

    def _recover_merge(self, st, cut):
        step = cut.step
        dstate = st.disks[step.target]
        if self._running() and step.kind != planner.OFFLINE_COMMIT:
            self._settle_job(step)
            live = self._disks()[step.target]
            gone = all(live.find(dstate.ref(n)) is None
                       for n in step.removed)
        else:
            gone = (step.top == dstate.active and
                    self._actives()[step.target] == dstate.ref(step.base))
        if cut.phase(gone) == journal.TOOK_EFFECT:
            self._finish_step(st, step)
            self._report('finished the interrupted merge (%s)'
                         % step.describe())
        else:
            self._report('the merge (%s) was interrupted before it took '
                         'effect; nothing was lost, it is retried'
                         % step.describe())

    def _settle_job(self, step):
        """Let a block job that outlived its caller end, one way or another."""
        active = step.kind == planner.COMMIT_ACTIVE
        result = merge.settle_job(
            self.dom, step.target, self.engine.watcher,
            self.engine.job_timeout, active,
            ready=lambda: self._mirror_ready(step.target))
        if result is not None and active:
            self._report('pivoted the active commit of %s that was left '
                         'running' % step.target)
