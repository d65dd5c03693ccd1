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

"""``openstack light snapshot create|list|show|delete|revert|export``."""

from osc_lib.command import command

from nova_lightsnap.osc import progress
from nova_lightsnap.osc.v1 import common

LIST_FIELDS = (('Name', 'name'), ('State', 'state'), ('Progress', 'progress'),
               ('Created At', 'created_at'), ('Quiesced', 'quiesced'),
               ('Set', 'set_id'), ('Size', 'size'), ('Error', 'error'))


# A revert or export leaves the snapshot as it was: kept, or stored.
SETTLED = ('available', 'stored')


def _instance_arg(parser):
    parser.add_argument('instance', metavar='<instance>',
                        help='UUID of the instance (server)')


def _snapshot_arg(parser, nargs=None):
    parser.add_argument('snapshot', metavar='<snapshot>', nargs=nargs,
                        help='Name of the snapshot')


def _wait_arg(parser, what):
    parser.add_argument('--wait', action='store_true',
                        help='Wait until the %s ends, showing its progress '
                             'on stderr; fail with the API\'s error when it '
                             'fails' % what)


def _follow(client, args, snap, label, **wait):
    """With --wait: the snapshot once its operation ended, the progress
    shown meanwhile; without: as the 202 answer gave it."""
    if not args.wait:
        return snap
    return progress.follow(
        lambda **kw: client.wait_snapshot(args.instance, snap['name'],
                                          **dict(wait, **kw)),
        '%s %s' % (label, snap['name']))


class CreateSnapshot(command.ShowOne):
    """Take a light snapshot of an instance"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        parser.add_argument('--name', metavar='<name>',
                            help='Name of the snapshot (default: chosen by '
                                 'the API)')
        parser.add_argument('--quiesce', choices=common.QUIESCE_CHOICES,
                            help='Freeze the guest\'s file systems first: '
                                 'auto (when the guest agent answers), '
                                 'required (or fail), off')
        _wait_arg(parser, 'snapshot')
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        snap = client.create_snapshot(args.instance, name=args.name,
                                      quiesce=args.quiesce)
        return common.show_columns(_follow(client, args, snap, 'snapshot',
                                           until=SETTLED))


class ListSnapshot(command.Lister):
    """List the light snapshots of an instance, oldest first"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        return parser

    def take_action(self, args):
        snaps = common.client(self.app).list_snapshots(args.instance)
        return common.list_rows(snaps, LIST_FIELDS)


class ShowSnapshot(command.ShowOne):
    """Show one light snapshot of an instance"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        _snapshot_arg(parser)
        return parser

    def take_action(self, args):
        return common.show_columns(common.client(self.app).get_snapshot(
            args.instance, args.snapshot))


class DeleteSnapshot(command.Command):
    """Delete light snapshots of an instance (the data of the others and
    of the instance stays)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        _snapshot_arg(parser, nargs='+')
        _wait_arg(parser, 'delete')
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        # One after the other: an instance runs one operation at a time,
        # so a second delete would be refused (409) while the first merges.
        args.wait = args.wait or len(args.snapshot) > 1
        for name in args.snapshot:
            snap = client.delete_snapshot(args.instance, name)
            _follow(client, args, snap, 'delete', until=('stored',),
                    gone_ok=True)


class RevertSnapshot(command.ShowOne):
    """Revert an instance to a light snapshot (its later snapshots stay)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        _snapshot_arg(parser)
        _wait_arg(parser, 'revert')
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        snap = client.revert_snapshot(args.instance, args.snapshot)
        return common.show_columns(_follow(client, args, snap, 'revert to',
                                           until=SETTLED))


class ExportSnapshot(command.ShowOne):
    """Export a light snapshot into a standalone qcow2 file in the compute
    host's export directory"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _instance_arg(parser)
        _snapshot_arg(parser)
        parser.add_argument('--file', metavar='<file>', required=True,
                            help='Plain file name (no directory) of the '
                                 'qcow2 to write in the export directory')
        _wait_arg(parser, 'export')
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        snap = client.export_snapshot(args.instance, args.snapshot, args.file)
        return common.show_columns(_follow(client, args, snap, 'export',
                                           until=SETTLED))
