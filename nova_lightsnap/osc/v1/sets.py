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

"""``openstack light set create|list|show|restore|delete``: one point in
time across several instances."""

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions as osc_exc

from nova_lightsnap import client as client_mod
from nova_lightsnap.osc import progress
from nova_lightsnap.osc.v1 import common

LIST_FIELDS = (('ID', 'id'), ('Name', 'name'), ('State', 'state'),
               ('Instances', 'instances'), ('Created At', 'created_at'),
               ('Error', 'error'))
LIST_FORMATTERS = {'instances': format_columns.ListColumn}


def find_set(client, name_or_id):
    """A set by id, or by name when no set has that id."""
    try:
        return client.get_set(name_or_id)
    except client_mod.NotFound:
        pass
    found = [s for s in client.list_sets() if s.get('name') == name_or_id]
    if not found:
        raise osc_exc.CommandError('no snapshot set with id or name %r'
                                   % name_or_id)
    if len(found) > 1:
        raise osc_exc.CommandError(
            'several snapshot sets are named %r; give its id: %s'
            % (name_or_id, ', '.join(str(s['id']) for s in found)))
    return found[0]


def _set_arg(parser):
    parser.add_argument('set', metavar='<set>', help='Set id or name')


def _wait_arg(parser):
    parser.add_argument('--wait', action='store_true',
                        help='Wait until the operation ends on every '
                             'instance, showing its state on stderr')


class CreateSet(command.ShowOne):
    """Snapshot several instances at one point in time, their guests
    frozen together"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='Name of the set (also the name of each '
                                 'member\'s snapshot)')
        parser.add_argument('--instance', metavar='<instance>',
                            dest='instances', action='append', required=True,
                            help='UUID of a member instance (repeat for '
                                 'each)')
        parser.add_argument('--quiesce', choices=common.QUIESCE_CHOICES,
                            help='auto, required or off (see snapshot '
                                 'create)')
        _wait_arg(parser)
        return parser

    def take_action(self, args):
        client = common.client(self.app)
        set_ = client.create_set(args.name, args.instances,
                                 quiesce=args.quiesce)
        if args.wait:
            set_ = progress.follow(
                lambda **kw: client.wait_set(set_['id'], **kw),
                'set %s' % args.name)
        return common.show_columns(set_)


class ListSet(command.Lister):
    """List snapshot sets"""

    def take_action(self, args):
        return common.list_rows(common.client(self.app).list_sets(),
                                LIST_FIELDS, LIST_FORMATTERS)


class ShowSet(command.ShowOne):
    """Show a snapshot set"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _set_arg(parser)
        return parser

    def take_action(self, args):
        return common.show_columns(find_set(common.client(self.app),
                                            args.set))


class _SetOperation:
    """restore and delete: a set by id or name, then --wait."""

    method = None
    label = None
    until = ('available',)

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _set_arg(parser)
        _wait_arg(parser)
        return parser

    def operate(self, args):
        client = common.client(self.app)
        set_id = find_set(client, args.set)['id']
        set_ = getattr(client, self.method)(set_id)
        if args.wait:
            set_ = progress.follow(
                lambda **kw: client.wait_set(set_id, until=self.until,
                                             gone_ok=not self.until, **kw),
                '%s %s' % (self.label, args.set))
        return set_


class RestoreSet(_SetOperation, command.ShowOne):
    """Revert every member of a snapshot set to it, together"""

    method, label = 'restore_set', 'restore'

    def take_action(self, args):
        return common.show_columns(self.operate(args))


class DeleteSet(_SetOperation, command.Command):
    """Delete a snapshot set and its members' snapshots"""

    method, label, until = 'delete_set', 'delete', ()

    def take_action(self, args):
        self.operate(args)
