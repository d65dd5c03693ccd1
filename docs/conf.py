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

"""Sphinx configuration of the nova-lightsnap documentation.

Built from the top of the tree, as ./run test does it::

    sphinx-build -W -b html docs <output directory>

The configuration reference and the policy read the generator files
under etc/ (paths from the top of the tree, as Nova's own docs do).
"""

import os
import warnings

extensions = [
    'openstackdocstheme',
    'os_api_ref',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

# Loading oslo.messaging's options imports eventlet, which says on stderr
# that it is deprecated: not a problem of these pages.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

project = 'nova-lightsnap'
copyright = 'nova-lightsnap developers'
master_doc = 'index'
exclude_patterns = ['_build']

html_theme = 'openstackdocs'
html_static_path = ['_static']
# Not an opendev project: no bug or source links to opendev.
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False
openstackdocs_bug_project = ''
openstackdocs_bug_tag = ''

# The sample files, written into _static/ at every build (not kept in git:
# etc/*.sample are the ones the tests compare with the generators).
_TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Made here: a fresh clone has no _static/, and Sphinx checks
# html_static_path before the generators write into it.
os.makedirs(os.path.join(_TOP, 'docs', '_static'), exist_ok=True)
config_generator_config_file = [
    (os.path.join(_TOP, 'etc', name + '-config-generator.conf'),
     '_static/' + name)
    for name in ('nova-lightsnap', 'lightsnap-api', 'lightsnap-scheduler')
]
policy_generator_config_file = os.path.join(
    _TOP, 'etc', 'lightsnap-policy-generator.conf')
sample_policy_basename = '_static/lightsnap'


def _docs_relative_images(app, relative_path, parent_docname, content):
    # README.rst, included whole as the operator guide, names its
    # picture from the top of the tree (docs/...); Sphinx resolves it
    # from this directory.
    if relative_path.name == 'README.rst':
        content[0] = content[0].replace('.. image:: docs/', '.. image:: /')


def setup(app):
    app.connect('include-read', _docs_relative_images)
