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

"""Sphinx configuration of the nova-lightsnap release notes (reno).

Built from the top of the tree, as ./run test does it::

    sphinx-build -W -b html releasenotes/source <output directory>
"""

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

project = 'nova-lightsnap release notes'
copyright = 'nova-lightsnap developers'
master_doc = 'index'

html_theme = 'openstackdocs'
# Not an opendev project: no bug or source links to opendev.
openstackdocs_auto_name = False
openstackdocs_use_storyboard = False
openstackdocs_bug_project = ''
openstackdocs_bug_tag = ''
