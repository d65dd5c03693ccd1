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

"""qemu-img runs: a read or a commit that crashes runs again, nothing else
does. A gluster image given libvirt's owner through our connection."""

import errno
import os
import shutil
import tempfile

from unittest import mock

import fixtures

from nova_lightsnap import chain
from nova_lightsnap.engine import errors
from nova_lightsnap.engine import images
from nova_lightsnap.gluster import gfapi

from tests.support import testcase

# Counts its runs in "runs"; dies by SIGABRT on the first one when
# "crash" exists (as qemu-img did in glfs_fini), then does ``then``.
FAKE = '''#!/bin/sh
echo x >>"%(dir)s/runs"
if [ -e "%(dir)s/crash" ]; then
    rm "%(dir)s/crash"
    kill -ABRT $$
fi
%(then)s
'''
REF = chain.ImageRef('file', '/nowhere.qcow2')


class QemuImgTest(testcase.TestCase):

    def fake(self, then, crash=True):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, 'qemu-img')
        with open(path, 'w') as handle:
            handle.write(FAKE % {'dir': tmp, 'then': then})
        os.chmod(path, 0o755)
        if crash:
            open(os.path.join(tmp, 'crash'), 'w').close()
        self.useFixture(fixtures.EnvironmentVariable(
            'PATH', tmp + os.pathsep + os.environ['PATH']))
        return lambda: open(os.path.join(tmp, 'runs')).read().count('x')

    def test_info_runs_again_after_a_crash(self):
        runs = self.fake('echo \'{"virtual-size": 1}\'')
        self.assertEqual({'virtual-size': 1}, images.info(REF))
        self.assertEqual(2, runs())

    def test_a_crashed_write_is_not_run_again(self):
        runs = self.fake('exit 0')
        exc = self.assertRaises(errors.LightSnapError, images.qemu_img,
                                'rebase', REF.path)
        self.assertIn('died by signal 6', str(exc))
        self.assertEqual(1, runs())

    def test_a_crashed_commit_runs_again_with_its_progress(self):
        # -d keeps the top image: folding it into the base again is the
        # same commit.
        runs = self.fake('echo "    (100.00/100%)"')
        seen = []
        images.commit(REF, REF.sibling('base.qcow2'), seen.append)
        self.assertEqual(2, runs())
        self.assertEqual([100.0], seen)

    def test_a_failed_info_is_not_run_again(self):
        runs = self.fake('exit 1', crash=False)
        self.assertRaises(errors.LightSnapError, images.info, REF)
        self.assertEqual(1, runs())


class PrivateFilesTest(testcase.TestCase):
    """Real qemu-img, local files: what it writes is the owner's only."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def test_a_left_staging_file_is_unlinked_not_truncated(self):
        # A killed create left its staging name linked to the live image.
        live = os.path.join(self.dir, 'live')
        with open(live, 'w') as handle:
            handle.write('guest data')
        staging = os.path.join(self.dir, 'staging')
        os.link(live, staging)
        images._private(staging)
        with open(live) as handle:
            self.assertEqual('guest data', handle.read())
        self.assertEqual(0o600, os.stat(staging).st_mode & 0o777)
        self.assertEqual(0, os.stat(staging).st_size)

    def test_an_export_is_the_owners_only_and_a_bad_place_is_said(self):
        src = os.path.join(self.dir, 'src.qcow2')
        images.qemu_img('create', '-q', '-f', 'qcow2', src, '1M')
        dest = os.path.join(self.dir, 'out.qcow2')
        images.export(chain.ImageRef('file', src), dest)
        self.assertEqual(0o600, os.stat(dest).st_mode & 0o777)
        err = self.assertRaises(
            errors.InvalidInput, images.export, chain.ImageRef('file', src),
            os.path.join(self.dir, 'missing', 'out.qcow2'))
        self.assertIn('choose a writable place', str(err))


class GiveOwnerTest(testcase.TestCase):
    """The logic only; tests/functional/test_gfapi.py chowns for real and
    tests/functional/test_gluster_volume_owner.py runs libvirt on it."""

    REF = chain.ImageRef('gluster', 'volume-1', host='127.0.0.2',
                         port=24007, volume='lightsnap')

    def setUp(self):
        super().setUp()
        self.volume = mock.Mock()
        self.connect = self.useFixture(fixtures.MockPatchObject(
            gfapi, 'connect_cached', return_value=self.volume)).mock
        self.forget = self.useFixture(fixtures.MockPatchObject(
            gfapi, 'forget_cached')).mock

    def owned_by(self, uid, gid):
        self.volume.stat.return_value = os.stat_result(
            (0o100660, 1, 1, 1, uid, gid, 0, 0, 0, 0))

    def test_an_image_with_the_owner_is_left_as_it_is(self):
        self.owned_by(64055, 64055)
        self.assertTrue(images.give_owner(self.REF, (64055, 64055)))
        self.connect.assert_called_once_with('127.0.0.2', 'lightsnap', 24007)
        self.volume.stat.assert_called_once_with('/volume-1')
        self.volume.chown.assert_not_called()

    def test_another_owner_is_changed(self):
        for uid, gid in ((0, 0), (64055, 110)):
            self.volume.chown.reset_mock()
            self.owned_by(uid, gid)
            self.assertTrue(images.give_owner(self.REF, (64055, 64055)))
            self.volume.chown.assert_called_once_with('/volume-1', 64055,
                                                      64055)

    def test_what_cannot_be_done_is_left_to_libvirt(self):
        self.owned_by(0, 0)
        self.volume.chown.side_effect = gfapi.GlusterError(
            errno.EPERM, 'glfs_chown')
        self.assertFalse(images.give_owner(self.REF, (64055, 64055)))
        self.forget.assert_not_called()
        self.volume.stat.side_effect = gfapi.GlusterError(
            errno.ENOENT, 'glfs_stat')
        self.assertFalse(images.give_owner(self.REF, (64055, 64055)))
        self.forget.assert_not_called()

    def test_a_broken_connection_is_forgotten(self):
        self.connect.side_effect = gfapi.GlusterError(
            errno.ENOTCONN, 'glfs_init')
        self.assertFalse(images.give_owner(self.REF, (64055, 64055)))
        self.forget.assert_called_once_with('127.0.0.2', 'lightsnap', 24007)
