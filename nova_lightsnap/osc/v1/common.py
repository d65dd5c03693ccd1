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

"""What the ``openstack light`` commands share: columns and formatting."""

from osc_lib.cli import format_columns
from osc_lib import utils

QUIESCE_CHOICES = ('auto', 'required', 'off')


def client(app):
    return app.client_manager.light


def show_columns(resource, formatters=None):
    """(columns, values) of one resource for a ShowOne, keys sorted.

    Nested objects (an instance's task) stay objects in -f json/yaml and
    read as k='v' in a table.
    """
    formatters = dict(formatters or {})
    for key, value in resource.items():
        if isinstance(value, dict):
            formatters.setdefault(key, format_columns.DictColumn)
        elif isinstance(value, list):
            formatters.setdefault(key, format_columns.ListColumn)
    columns = tuple(sorted(resource))
    return columns, utils.get_dict_properties(resource, columns,
                                              formatters=formatters)


def list_rows(resources, fields, formatters=None):
    """Rows of a Lister: ``fields`` are (header, key) pairs."""
    headers = tuple(h for h, _ in fields)
    keys = tuple(k for _, k in fields)
    rows = (utils.get_dict_properties(r, keys, formatters=formatters or {})
            for r in resources)
    return headers, rows
