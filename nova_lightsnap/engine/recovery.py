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
from nova_lightsnap.engine import merge
from nova_lightsnap.engine import planner


class Recovery:
    """The recovery half of DomainSnapshots (see domain.py)."""

    def _recover(self, st):
        journal = st.journal
        op = journal['op']
        if op in ('create', 'revert'):
            self._recover_switch(st, journal)
        elif op == 'merge':
            self._recover_merge(st, journal)
        else:
            raise errors.LightSnapError('unknown journal entry %r in %s'
                                        % (op, self.state_file.path))
        st.journal = None
        self._save(st)

    def _recover_switch(self, st, journal):
        """A create or revert was cut off: finish it if the disks switched."""
        new = {t: st.disks[t].ref(b) for t, b in journal['overlays'].items()}
        if journal.get('xml') and not self._defined():
            # A transient domain destroyed for a revert: bring it back on
            # the disks it ran on, then decide as for any other domain.
            self.dom = self.conn.createXML(journal['xml'], 0)
        actives = self._actives()
        switched = [t for t in new if actives.get(t) == new[t]]
        if len(switched) == len(new):
            self._commit_switch(st, journal)
            self._report('finished the %s of %r that was interrupted'
                         % (journal['op'], journal['name']))
        elif not switched:
            self._undefine_overlays(st, new)
            for target, ref in new.items():
                images.remove(ref)
                if target in journal.get('kept', {}):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(images.staging_path(ref))
            self._report('rolled back the %s of %r that was interrupted; '
                         'nothing changed' % (journal['op'], journal['name']))
        else:
            raise errors.ChainMismatch(
                'the interrupted %s of %r switched disks %s but not the '
                'others; fix the domain XML by hand (see %s)'
                % (journal['op'], journal['name'], ', '.join(switched),
                   self.state_file.path))
        if journal.get('was_running') and not self._running():
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

    def _recover_merge(self, st, journal):
        step = planner.Step(**journal['step'])
        dstate = st.disks[step.target]
        if self._running() and step.kind != planner.OFFLINE_COMMIT:
            self._settle_job(step)
            live = self._disks()[step.target]
            done = all(live.find(dstate.ref(n)) is None
                       for n in step.removed)
        else:
            done = (step.top == dstate.active and
                    self._actives()[step.target] == dstate.ref(step.base))
        if done:
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
