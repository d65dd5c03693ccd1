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
