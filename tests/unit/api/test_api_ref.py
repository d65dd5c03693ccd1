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

"""docs/api-ref documents every route (os-api-ref's rest_method) and
shows every example the functional tests record, and nothing else (the
examples themselves are compared with the service's real answers by
tests/functional/api/test_lifecycle.py)."""

import json
import os
import re

from nova_lightsnap.api import router

from tests.support import testcase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
REF = os.path.join(ROOT, 'docs', 'api-ref')


class APIRefTest(testcase.TestCase):

    def setUp(self):
        super().setUp()
        with open(os.path.join(REF, 'index.rst')) as f:
            self.text = f.read()
        self.files = sorted(f[:-len('.json')] for f in os.listdir(
            os.path.join(REF, 'examples')) if f.endswith('.json'))

    def test_every_example_is_shown_once(self):
        shown = re.findall(r'literalinclude:: examples/([\w-]+)\.json',
                           self.text)
        self.assertEqual(sorted(shown), self.files)
        self.assertEqual(len(shown), len(set(shown)))

    def test_every_route_is_documented(self):
        documented = set(re.findall(r'^\.\. rest_method:: (\w+) (\S+)$',
                                    self.text, re.MULTILINE))
        routes = {(method, template) for template, methods in
                  router.ROUTE_DECLARATIONS.items() for method in methods}
        self.assertEqual(routes, documented)

    def test_examples_are_requests_and_answers(self):
        for name in self.files:
            with open(os.path.join(REF, 'examples', name + '.json')) as f:
                example = json.load(f)
            self.assertEqual({'request', 'response'}, set(example), name)
            self.assertTrue(example['request']['path'].startswith('/'))
            self.assertIn(example['response']['status'], (200, 202), name)
