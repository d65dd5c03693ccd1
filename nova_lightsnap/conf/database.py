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

"""oslo.db's ``[database]`` options, as lightsnap-api and lightsnap-manage
read them: the plugin database defaults to an SQLite file."""

import copy

from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:////var/lib/lightsnap/lightsnap.sqlite'


def register_opts(conf):
    """Register oslo.db's ``[database]`` options, with our default URL."""
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    """oslo.db's options, showing the default this service sets."""
    listed = []
    for group, opts in db_options.list_opts():
        opts = [copy.deepcopy(o) for o in opts]
        for opt in opts:
            if opt.dest == 'connection':
                opt.default = DEFAULT_CONNECTION
        listed.append((group, opts))
    return listed
