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

"""The direction of imports between the parts of nova_lightsnap.

Each part may import only the parts listed for it in MAY_IMPORT (drawn in
README.rst, "The code, and which part imports which"), read from the
source of every module, imports inside functions included. A new arrow is
a design decision: add it here with the reason, or move the code it needs
to a part below both.
"""

import ast
import os

import fixtures

import nova_lightsnap
from tests.support import testcase

PACKAGE = os.path.dirname(os.path.abspath(nova_lightsnap.__file__))

# part -> the parts of nova_lightsnap it may import. A part is a module or
# subpackage right under nova_lightsnap.
MAY_IMPORT = {
    # Below everything: the one family of errors, the options, the names
    # every layer checks, the GlusterFS binding, the chain model.
    'exception': set(),
    'conf': set(),
    'names': {'exception'},
    'gluster': set(),
    'chain': {'exception', 'names'},
    # Operations on libvirt domains: no service, no Nova, no Django.
    'engine': {'chain', 'exception', 'gluster', 'names'},
    'rpc': {'exception'},
    'db': {'conf', 'exception'},
    # The RPC client, the server, and the backend that runs the engine.
    'compute': {'conf', 'engine', 'exception', 'names', 'rpc'},
    # The REST service: reaches computes over RPC (compute.rpcapi), or
    # serves the compute side in process (embedded_compute).
    'api': {'compute', 'conf', 'db', 'exception', 'names', 'rpc'},
    'client': {'exception', 'names'},
    'osc': {'client', 'exception', 'names'},
    'scheduler': {'client', 'conf', 'exception'},
    # The Nova driver: an adapter from Nova's objects to the engine.
    'virt': {'chain', 'compute', 'conf', 'engine', 'exception', 'gluster',
             'names', 'rpc'},
    # Console scripts: on top of everything.
    'cmd': {'api', 'chain', 'compute', 'conf', 'db', 'engine', 'exception',
            'gluster', 'names', 'rpc'},
}

# Outside nova_lightsnap: Nova only in the driver; Django and Horizon in
# the panel only.
NOVA_ALLOWED = {'virt'}
NEVER = {'django', 'horizon', 'horizon_panel', 'openstack_dashboard'}


def _part(dotted):
    """The part of nova_lightsnap that module ``dotted`` belongs to."""
    names = dotted.split('.')
    if names[0] != 'nova_lightsnap' or len(names) < 2:
        return None
    return names[1]


def _imports(path):
    """The dotted names ``path`` imports, with the line of each, in the
    order of the lines."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    nodes = sorted((node for node in ast.walk(tree)
                    if isinstance(node, (ast.Import, ast.ImportFrom))),
                   key=lambda node: node.lineno)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError('%s:%d: a relative import'
                                     % (path, node.lineno))
            for alias in node.names:
                # "from nova_lightsnap import engine" names the part too.
                yield '%s.%s' % (node.module, alias.name), node.lineno


def _modules():
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, os.path.dirname(PACKAGE))
                dotted = rel[:-3].replace(os.sep, '.')
                yield path, dotted


def violations(modules=None):
    """What breaks the rules, in ``modules`` ((path, dotted name) pairs;
    every module of nova_lightsnap by default)."""
    found = []
    for path, module in modules or _modules():
        part = _part(module)
        if part is None:  # nova_lightsnap/__init__.py
            continue
        allowed = MAY_IMPORT.get(part)
        for imported, line in _imports(path):
            where = '%s:%d' % (module, line)
            top = imported.split('.')[0]
            if top in NEVER or (top == 'nova' and part not in NOVA_ALLOWED):
                found.append('%s imports %s' % (where, imported))
                continue
            target = _part(imported)
            if target is None or target == part:
                continue
            if allowed is None:
                found.append('%s: part %r is not in MAY_IMPORT'
                             % (where, part))
            elif target not in allowed:
                found.append('%s imports %s (%s may not import %s)'
                             % (where, imported, part, target))
    return found


class LayersTest(testcase.TestCase):

    def test_every_part_imports_only_the_parts_below_it(self):
        self.assertEqual([], violations())

    def test_a_wrong_arrow_is_seen_also_inside_a_function(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'probe.py')
        with open(path, 'w') as f:
            f.write('from nova_lightsnap import exception\n'
                    'from nova_lightsnap.engine import errors\n\n\n'
                    'def f():\n'
                    '    from nova_lightsnap.cmd import api\n'
                    '    import nova.conf\n')
        self.assertEqual(
            ['nova_lightsnap.api.probe:2 imports nova_lightsnap.engine.errors'
             ' (api may not import engine)',
             'nova_lightsnap.api.probe:6 imports nova_lightsnap.cmd.api'
             ' (api may not import cmd)',
             'nova_lightsnap.api.probe:7 imports nova.conf'],
            violations([(path, 'nova_lightsnap.api.probe')]))
