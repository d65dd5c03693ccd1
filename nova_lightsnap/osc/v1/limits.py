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

"""openstack light limits show: the quotas of a project."""

from osc_lib.command import command

from nova_lightsnap.osc.v1 import common

FIELDS = (('Resource', 'resource'), ('Limit', 'limit'), ('Usage', 'usage'))


def rows(limits):
    """One row per resource; -1 is unlimited, a blank usage is counted
    per instance (the chain depth)."""
    return [dict(resource=name, **values)
            for name, values in sorted(limits['resources'].items())]


class ShowLimits(command.Lister):
    """Show the limits and usage of light snapshots of a project"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--project', metavar='<project-id>',
                            help='Another project (admin only); default: '
                                 'the project of the token')
        return parser

    def take_action(self, args):
        limits = common.client(self.app).get_limits(project_id=args.project)
        return common.list_rows(rows(limits), FIELDS)
