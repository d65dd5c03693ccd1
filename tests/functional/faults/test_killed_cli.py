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

"""``lightsnap`` killed (SIGKILL) or cut off from libvirtd mid-operation.

Each case strikes at one exact point of a multi-step operation, through the
proxy in front of libvirtd (a call held before libvirtd sees it, a reply
held after libvirtd did the work, the connection dropped as a libvirtd
restart drops it) or when ``virsh blockjob`` shows a merge moving. The next
run must find the journal, finish or roll back, say which, and every
snapshot and the live disks must hold what was written.
"""

import json
import os
import signal
import threading
import time

from nova_lightsnap.engine import errors
from tests.functional.faults import base
from tests.functional.faults import proxy

MERGE_DATA = 4 * base.MiB  # at 1 MiB/s: a merge of about 4 s


class CreateKilledTest(base.FaultTestCase):
    """Both disks of a domain switch in one libvirt call, or neither."""

    def prepare(self):
        self.write_and_create('s1')
        return self.proxy

    def test_killed_before_libvirt_switches_rolls_back(self):
        self.prepare()
        self.kill_at(proxy.SNAPSHOT_CREATE_XML, 'call',
                     'create', self.vm.name, '--name', 's2')
        self.assertEqual('create', self.journal()['op'])
        report = self.recover('create', self.vm.name, '--name', 's3')
        self.model.create('s3')
        self.assertIn("rolled back the create of 's2'", report)
        self.verify('after the rollback')

    def test_killed_after_libvirt_switched_is_finished(self):
        self.prepare()
        self.kill_at(proxy.SNAPSHOT_CREATE_XML, 'reply',
                     'create', self.vm.name, '--name', 's2')
        self.model.create('s2')
        self.write_all()
        report = self.recover('delete', self.vm.name, 's1')
        self.model.delete('s1')
        self.assertIn("finished the create of 's2'", report)
        self.verify('after rolling forward')

    def test_libvirtd_lost_during_the_switch_is_finished_next_time(self):
        # The call reached libvirtd, the answer never came back: whether
        # the disks switched is unknown to the process, so it must not
        # remove the overlays QEMU may already be writing to.
        trap = self.prepare().arm(proxy.SNAPSHOT_CREATE_XML, 'call',
                                  action='cut')
        proc = self.start_cli('create', self.vm.name, '--name', 's2')
        out, err = proc.communicate(timeout=120)
        self.assertTrue(trap.hit.is_set())
        self.assertNotEqual(0, proc.returncode)
        self.assertIn('lightsnap: error:', err)
        self.assertNotIn('Traceback', err)
        self.model.create('s2')
        self.write_all()
        report = self.recover('create', self.vm.name, '--name', 's3')
        self.model.create('s3')
        self.assertIn("finished the create of 's2'", report)
        self.verify('after the lost connection')

    def leave_create_in_libvirtd(self):
        """A create of 's2' whose snapshot call reached libvirtd while
        QEMU is stopped, its CLI SIGKILLed. Returns QEMU's pid: SIGCONT
        it to let the call end."""
        trap = self.prepare().arm(proxy.SNAPSHOT_CREATE_XML, 'call')
        proc = self.start_cli('create', self.vm.name, '--name', 's2')
        self.wait_hit(trap, proc)
        qemu = self.qemu_pid()
        os.kill(qemu, signal.SIGSTOP)
        self.addCleanup(os.kill, qemu, signal.SIGCONT)
        trap.release.set()
        deadline = time.monotonic() + 30
        while proxy.SNAPSHOT_CREATE_XML not in self.proxy.forwarded:
            self.assertLess(time.monotonic(), deadline,
                            'the held call was not forwarded')
            time.sleep(0.05)
        self.kill(proc)
        return qemu

    def test_killed_while_libvirtd_still_switches_is_finished(self):
        # The call reached libvirtd, which is still waiting on QEMU (here
        # stopped) when the next run starts: that run must wait for the
        # call to end, not roll back a switch that is about to happen.
        qemu = self.leave_create_in_libvirtd()
        resume = threading.Timer(3, os.kill, (qemu, signal.SIGCONT))
        resume.start()
        try:
            report = self.recover('create', self.vm.name, '--name', 's3')
        finally:
            resume.cancel()
            os.kill(qemu, signal.SIGCONT)
        self.model.create('s2')
        self.model.create('s3')
        self.assertIn("finished the create of 's2'", report)
        self.verify('after the switch that was still running')

    def test_a_call_still_stuck_in_libvirtd_is_busy_and_changes_nothing(self):
        # As above, but QEMU stays stopped past libvirt's 30 s wait for
        # the domain's job: the next run gives up with Busy, touches
        # nothing, and the run after QEMU resumes finishes the create.
        qemu = self.leave_create_in_libvirtd()
        journal = self.journal()
        try:
            stuck = self.cli('create', self.vm.name, '--name', 's3')
        finally:
            os.kill(qemu, signal.SIGCONT)
        self.assertEqual(errors.Busy.exit_code, stuck.returncode,
                         stuck.stderr)
        self.assertIn('still runs an earlier call', stuck.stderr)
        self.assertIn('try again', stuck.stderr)
        self.assertEqual(journal, self.journal())
        report = self.recover('create', self.vm.name, '--name', 's3')
        self.model.create('s2')
        self.model.create('s3')
        self.assertIn("finished the create of 's2'", report)
        self.verify('after the stuck call ended')


class MergeKilledTest(base.FaultTestCase):
    """Intermediate commit, active commit and pivot, commit-all."""

    disks = {'vda': 'file'}

    def kill_while_merging(self, *args):
        proc = self.start_cli(*args, bandwidth=1)
        self.wait_job('vda')
        self.kill(proc)

    def recover_merge(self, deleted, new):
        """The next run finishes the merge, then does its own work."""
        report = self.recover('create', self.vm.name, '--name', new)
        self.model.delete(deleted)
        self.model.create(new)
        self.assertIn('finished the interrupted merge', report)

    def two_snapshots(self):
        """s1 on the root, s2 on a layer with MERGE_DATA in it."""
        self.write('vda', 0)
        self.create('s1')
        self.fill_layer('vda', MERGE_DATA, 77)
        self.create('s2')
        self.write('vda', 1)

    def test_killed_during_an_intermediate_commit_is_finished(self):
        self.two_snapshots()
        self.kill_while_merging('delete', self.vm.name, 's1')
        self.assertEqual('merge', self.journal()['op'])
        self.assertEqual('commit', self.journal()['step']['kind'])
        self.recover_merge('s1', 's3')
        self.assert_no_job()
        self.verify('after the commit was finished')

    def test_libvirtd_lost_during_an_intermediate_commit(self):
        self.two_snapshots()
        proc = self.start_cli('delete', self.vm.name, 's1', bandwidth=1)
        self.wait_job('vda')
        self.proxy.cut()
        out, err = proc.communicate(timeout=120)
        self.assertNotEqual(0, proc.returncode, out)
        self.assertIn('lightsnap: error:', err)
        self.assertNotIn('Traceback', err)
        self.recover_merge('s1', 's3')
        self.verify('after the commit was finished')

    def active_commit(self):
        """Deleting s1 folds the active image (MERGE_DATA) into the root."""
        self.write('vda', 0)
        self.create('s1')
        self.fill_layer('vda', MERGE_DATA, 88)

    def test_killed_during_an_active_commit_is_pivoted(self):
        self.active_commit()
        self.kill_while_merging('delete', self.vm.name, 's1')
        self.assertEqual('commit-active', self.journal()['step']['kind'])
        self.recover_merge('s1', 's2')
        self.assert_no_job()
        self.verify('after the pivot')

    def test_killed_once_the_pivot_was_asked_for_is_finished(self):
        self.active_commit()
        self.kill_at(proxy.BLOCK_JOB_ABORT, 'reply', 'delete', self.vm.name,
                     's1')
        self.recover_merge('s1', 's2')
        self.verify('after the pivot')
        self.assertEqual(self.vm.roots['vda'],
                         self.vm.disks()['vda'].chain[1].ref)

    def test_libvirtd_lost_while_pivoting(self):
        self.active_commit()
        trap = self.proxy.arm(proxy.BLOCK_JOB_ABORT, 'call', action='cut')
        proc = self.start_cli('delete', self.vm.name, 's1')
        out, err = proc.communicate(timeout=120)
        self.assertTrue(trap.hit.is_set())
        self.assertNotEqual(0, proc.returncode, out)
        self.assertNotIn('Traceback', err)
        self.recover_merge('s1', 's2')
        self.verify('after the pivot')

    def test_commit_all_killed_mid_merge_is_finished(self):
        self.two_snapshots()
        self.create('s3')
        self.fill_layer('vda', MERGE_DATA, 99)
        self.kill_while_merging('commit-all', self.vm.name)
        self.assertEqual([], self.state().snapshots)
        report = self.recover('commit-all', self.vm.name)
        self.model.commit_all()
        self.assertIn('finished the interrupted merge', report)
        self.verify('after commit-all was finished')
        self.assert_single_images()


class RevertKilledTest(base.FaultTestCase):
    disks = {'vda': 'file'}

    def prepare(self):
        self.write_and_create('s1')
        self.write('vda', 5)

    def restart_domain(self):
        """What the definition says is what the domain boots on."""
        self.vm.domain.destroy()
        self.vm.domain.create()

    def test_killed_after_the_definition_changed_rolls_back(self):
        self.prepare()
        self.kill_at(proxy.DOMAIN_DEFINE_XML, 'reply', 'revert', self.vm.name,
                     's1')
        self.assertTrue(self.vm.domain.isActive())
        report = self.recover('create', self.vm.name, '--name', 's2')
        self.model.create('s2')
        self.assertIn("rolled back the revert of 's1'", report)
        self.verify('after the rollback')
        # The rolled-back definition must boot on the same images.
        self.restart_domain()
        self.verify('after a restart of the domain')

    def test_killed_while_the_domain_is_down_is_finished(self):
        self.prepare()
        self.kill_at(proxy.DOMAIN_DESTROY, 'reply', 'revert', self.vm.name,
                     's1')
        self.assertFalse(self.vm.domain.isActive())
        report = self.recover('create', self.vm.name, '--name', 's2')
        self.model.revert('s1')
        self.model.create('s2')
        self.assertIn("finished the revert of 's1'", report)
        self.assertIn('started', report)
        self.assertTrue(self.vm.domain.isActive())
        self.verify('after the revert was finished')


class SetKilledTest(base.FaultTestCase):
    """A set killed between the first and the last domain's switch."""

    disks = {'vda': 'file'}

    def test_killed_after_every_member_switched(self):
        # The second reply: the members switch in parallel, and the first
        # reply can come before the other member's call is even sent.
        self.half_set(proxy.SNAPSHOT_CREATE_XML, 'reply', 2)
        self.assertEqual(['finished', 'finished'],
                         sorted(self.outcomes.values()))

    def test_killed_after_one_member_switched(self):
        self.half_set(proxy.SNAPSHOT_CREATE_XML, 'call', 2)
        self.assertEqual(['finished', 'rolled back'],
                         sorted(self.outcomes.values()))

    def half_set(self, proc_number, when, nth):
        other = self.useFixture(base.domains.TestDomain({'vda': 'file'}))
        other_model = base.base.Model(['vda'])
        self.write('vda', 0)
        other.write('vda', 0, 42)
        other_model.write('vda', 0, 42)
        self.kill_at(proc_number, when, 'set', 'create', 'team',
                     self.vm.name, other.name, nth=nth)
        outcomes = {}
        for vm, model in ((self.vm, self.model), (other, other_model)):
            report = self.recover('create', vm.name, '--name', 'after')
            if "finished the create of 'team'" in report:
                outcomes[vm.name] = 'finished'
                model.create('team')
            else:
                self.assertIn("rolled back the create of 'team'", report)
                outcomes[vm.name] = 'rolled back'
            model.create('after')
        self.outcomes = outcomes
        # The set is listed as incomplete; restoring it works only if every
        # member took its snapshot; deleting it always works.
        listed = json.loads(self.ok('set', 'list', '--format',
                                    'json').stdout)
        self.assertEqual([('team', True)],
                         [(s['name'], s.get('incomplete')) for s in listed])
        restore = self.cli('set', 'restore', 'team')
        if 'rolled back' in outcomes.values():
            self.assertEqual(3, restore.returncode, restore.stderr)
            self.assertIn('is incomplete', restore.stderr)
        else:
            self.assertEqual(0, restore.returncode, restore.stderr)
            for model in (self.model, other_model):
                model.revert('team')
        self.ok('set', 'delete', 'team')
        for model in (self.model, other_model):
            model.snaps.pop('team', None)
        self.assertEqual('[]\n', self.ok('set', 'list', '--format',
                                         'json').stdout)
        self.verify('this member after the half set was deleted')
        self.vm, self.model = other, other_model
        self.verify('the other member after the half set was deleted')
