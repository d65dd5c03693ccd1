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

"""The request/response examples of docs/api-ref, taken from real
exchanges of the functional tests.

A test records what it sent and got back under an example name; at the
end the recorded examples must equal the committed files
(docs/api-ref/examples/<name>.json), so the API reference cannot drift
from what the service does. ``LIGHTSNAP_UPDATE_API_EXAMPLES=1`` rewrites
the files instead. Values that differ from run to run (uuids, times,
sizes, request ids) are replaced by fixed ones.
"""

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
EXAMPLES_DIR = os.path.join(ROOT, 'docs', 'api-ref', 'examples')
UPDATE = os.environ.get('LIGHTSNAP_UPDATE_API_EXAMPLES') == '1'

PLACEHOLDER_UUIDS = ['6f1c2a4e-0b7d-4c59-9a31-2e8f5d7c1a01',
                     '6f1c2a4e-0b7d-4c59-9a31-2e8f5d7c1a02',
                     '6f1c2a4e-0b7d-4c59-9a31-2e8f5d7c1a03']
TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ')


class Recorder(object):

    def __init__(self, uuids):
        self.uuids = dict(zip(uuids, PLACEHOLDER_UUIDS))
        self.examples = {}

    def _text(self, text):
        for real, fixed in self.uuids.items():
            text = text.replace(real, fixed)
        return TIME.sub('2026-01-01T12:00:00Z', text)

    def _clean(self, value):
        if isinstance(value, dict):
            return {k: (196608 if k == 'size' and v is not None
                        else self._clean(v)) for k, v in value.items()}
        if isinstance(value, list):
            # The service sorts by real uuid; the placeholders must come
            # out in one order whatever the real uuids were.
            items = [self._clean(v) for v in value]
            if all(isinstance(v, str) for v in items):
                return sorted(items) if set(items) <= set(
                    PLACEHOLDER_UUIDS) else items
            if all(isinstance(v, dict) and 'uuid' in v for v in items):
                return sorted(items, key=lambda v: v['uuid'])
            return items
        if isinstance(value, str):
            return self._text(value)
        return value

    def record(self, name, exchange):
        method, path, body, status, response = exchange
        self.examples[name] = {
            'request': {'method': method, 'path': self._text(path),
                        'body': self._clean(body)},
            'response': {'status': status, 'body': self._clean(response)},
        }

    def outdated(self):
        """Names whose committed file differs (written instead when
        updating)."""
        stale = []
        for name, example in sorted(self.examples.items()):
            path = os.path.join(EXAMPLES_DIR, name + '.json')
            text = json.dumps(example, indent=2, sort_keys=True) + '\n'
            try:
                with open(path) as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current == text:
                continue
            if UPDATE:
                os.makedirs(EXAMPLES_DIR, exist_ok=True)
                with open(path, 'w') as f:
                    f.write(text)
            else:
                stale.append(name)
        return stale
