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

"""Headless Chromium (Debian's) driven by Playwright, for the tests that
click through the Horizon panel, and what they share: the row actions, the
confirm modals, the screenshots kept from the last run."""

import os
import shutil

from testtools import content

from tests.support import domains

CHROMIUM = '/usr/bin/chromium'


def sync_api():
    """playwright.sync_api with Chromium there to drive, or None."""
    try:
        from playwright import sync_api as api
    except ImportError:
        return None
    return api if os.access(CHROMIUM, os.X_OK) else None


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM,
                              args=['--no-sandbox'])


def row_action(row, selector):
    """Clicks a row action, opening the row's drop-down if needed."""
    action = row.locator(selector)
    if not action.is_visible():
        row.locator('.dropdown-toggle').click()
    action.click()


def confirm(page):
    page.locator('.modal-footer .btn-danger:visible').click()


class Screenshots:
    """$LIGHTSNAP_TEST_DIR/<name>/, with the last run's screenshots only
    (the directory does not grow); each path is a detail of the test."""

    def __init__(self, test, name):
        self.test = test
        self.dir = os.path.join(domains.TEST_DIR, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def shot(self, page, name):
        path = os.path.join(self.dir, '%02d-%s.png' % (
            len(os.listdir(self.dir)) + 1, name))
        page.screenshot(path=path, full_page=True)
        print('screenshot: %s' % path)
        self.test.addDetailUniqueName('screenshot',
                                      content.text_content(path))
        return path
