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

"""``openstack light instance list|show|set|commit-all``."""

from osc_lib.command import command
from osc_lib import exceptions as osc_exc

from nova_lightsnap.osc import progress
from nova_lightsnap.osc.v1 import common

LIST_FIELDS = (('UUID', 'uuid'), ('Project ID', 'project_id'),
               ('Host', 'host'), ('Enabled', 'enabled'), ('Daily', 'daily'),
               ('Store', 'store'), ('Snapshots', 'snapshot_count'),
               ('Last Snapshot At', 'last_snapshot_at'), ('State', 'state'))


def _instance_arg(parser):
    parser.add_argument('instance', metavar='<instance>',
                        help='UUID of the instance (server)')


def _flag_pair(parser, name, on_help, off_help, off_name=None):
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--' + name, dest=name, action='store_true',
                       default=None, help=on_help)
    group.add_argument('--' + (off_name or 'no-' + name), dest=name,
                       action='store_false', help=off_help)


class ListInstance(command.Lister):
    """List the instances known to light snapshots"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--all-projects', action='store_true',
                            help='Instances of every project (admin only)')
        return parser

    def take_action(self, args):
        instances = common.client(self.app).list_instances(
            all_projects=args.all_projects)
        return common.list_rows(instances, LIST_FIELDS)


class ShowInstance(command.ShowOne):
    """Show the light-snapshot state of an instance"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        return parser

    def take_action(self, args):
        return common.show_columns(
            common.client(self.app).get_instance(args.instance))


class SetInstance(command.Command):
    """Set the light-snapshot flags of an instance"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        _flag_pair(parser, 'enable',
                   'Enable light snapshots (prepares the instance\'s disk)',
                   'Disable light snapshots (refused while it has '
                   'snapshots)', off_name='disable')
        _flag_pair(parser, 'daily',
                   'Take a daily snapshot (lightsnap-scheduler, with '
                   'retention)', 'No more daily snapshots (those taken '
                   'stay)')
        _flag_pair(parser, 'store',
                   'Keep the file of a deleted snapshot in the store folder '
                   '(admin only in the default policy)',
                   'Deleted snapshots are merged away')
        return parser

    def take_action(self, args):
        if args.enable is None and args.daily is None and args.store is None:
            raise osc_exc.CommandError(
                'nothing to set: give --enable/--disable, --daily/--no-daily '
                'or --store/--no-store')
        common.client(self.app).update_instance(
            args.instance, enabled=args.enable, daily=args.daily,
            store=args.store)


class CommitAllInstance(command.ShowOne):
    """Drop every light snapshot of an instance, folding all layers back
    into its disk (before migrate or resize)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        parser.add_argument('--wait', action='store_true',
                            help='Wait until it ends, showing progress on '
                                 'stderr')
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        instance = client.commit_all(args.instance)
        if args.wait:
            instance = progress.follow(
                lambda **kw: client.wait_instance(args.instance, **kw),
                'commit-all')
        return common.show_columns(instance)
