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

"""``lightsnap``: light snapshots on any libvirt host, no OpenStack needed.

The sub-commands and their output are a contract other tools rely on:
extend them, do not rename them.
"""

import argparse
import json
import logging
import sys

import libvirt

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import host as host_mod
from nova_lightsnap.engine import quiesce
from nova_lightsnap.engine import sets


class ProgressBar:
    """A one-line bar on a terminal; silent when stderr is not one."""

    def __init__(self, stream=sys.stderr, width=30):
        self.stream = stream
        self.width = width
        self.active = stream.isatty()
        self._last = None

    def __call__(self, what, pct):
        if not self.active:
            return
        pct = max(0.0, min(100.0, pct))
        filled = int(self.width * pct / 100)
        line = '\r[%s%s] %5.1f%% %s' % ('#' * filled,
                                        '.' * (self.width - filled), pct,
                                        what)
        if line != self._last:
            self.stream.write(line[:120])
            self.stream.flush()
            self._last = line
        if pct >= 100:
            self.stream.write('\n')
            self._last = None


def _table(rows, columns):
    widths = [max([len(c)] + [len(str(r.get(c, ''))) for r in rows])
              for c in columns]
    lines = ['  '.join(c.ljust(w) for c, w in zip(columns, widths))]
    for row in rows:
        lines.append('  '.join(str(row.get(c, '')).ljust(w)
                               for c, w in zip(columns, widths)))
    return '\n'.join(line.rstrip() for line in lines)


def _print(obj, fmt, columns=None):
    if fmt == 'json' or columns is None:
        print(json.dumps(obj, indent=1, sort_keys=True))
    else:
        print(_table(obj, columns))


def cmd_create(host, args):
    snap = host.domain(args.domain, targets=args.disk).create(
        args.name, args.quiesce)
    print('created snapshot %s of %s (%s)' % (
        snap['name'], args.domain,
        'quiesced' if snap['quiesced'] else 'crash-consistent'))


def cmd_list(host, args):
    try:
        snaps = host.domain(args.domain).list()
    except errors.LightSnapError as exc:
        if isinstance(exc, (errors.InvalidInput, errors.NotFound)):
            raise
        snaps = host.list_offline(args.domain)
        print('lightsnap: libvirt unreachable, listed from metadata (%s)'
              % exc, file=sys.stderr)
    if args.format == 'json':
        _print(snaps, 'json')
        return
    rows = [dict(s, disks=' '.join('%s=%s' % kv
                                   for kv in sorted(s['disks'].items())),
                 quiesced='yes' if s['quiesced'] else 'no',
                 set=s['set'] or '')
            for s in snaps]
    _print(rows, 'table', ['name', 'created_at', 'quiesced', 'set', 'disks'])


def cmd_delete(host, args):
    host.domain(args.domain).delete(args.name)
    print('deleted snapshot %s of %s' % (args.name, args.domain))


def cmd_revert(host, args):
    result = host.domain(args.domain).revert(args.name)
    print('reverted %s to %s%s' % (args.domain, args.name,
                                   ' (restarted)' if result['running']
                                   else ''))


def cmd_commit_all(host, args):
    result = host.domain(args.domain).commit_all()
    print('committed %d snapshot(s) of %s into %s' % (
        result['committed'], args.domain,
        ', '.join('%s=%s' % kv for kv in sorted(result['disks'].items()))))


def cmd_export(host, args):
    host.domain(args.domain).export(args.name, args.disk, args.to)
    print('exported %s of %s, disk %s, to %s' % (args.name, args.domain,
                                                 args.disk, args.to))


def cmd_set_create(host, args):
    result = sets.create(host, args.set, args.domains, args.quiesce)
    print('created snapshot set %s of %s in %.1f s (guests frozen %.2f s)'
          % (args.set, ', '.join(args.domains), result['elapsed'],
             result['freeze_window']))


def cmd_set_list(host, args):
    data = sets.list_sets(host)
    if args.format == 'json':
        _print(data, 'json')
        return
    rows = [dict(s, domains=' '.join(d['name'] for d in s['domains']))
            for s in data]
    _print(rows, 'table', ['name', 'created_at', 'domains'])


def cmd_set_restore(host, args):
    sets.restore(host, args.set)
    print('restored snapshot set %s' % args.set)


def cmd_set_delete(host, args):
    sets.delete(host, args.set)
    print('deleted snapshot set %s' % args.set)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='lightsnap',
        description='Instant qcow2 external snapshots of libvirt domains.')
    parser.add_argument('--connect', '-c', default=host_mod.DEFAULT_URI,
                        metavar='URI', help='libvirt URI (default: '
                        '%(default)s)')
    parser.add_argument('--state-dir', default=host_mod.DEFAULT_STATE_DIR,
                        help='host-wide index of domains and sets '
                        '(default: %(default)s)')
    parser.add_argument('--timeout', type=int,
                        default=host_mod.DEFAULT_JOB_TIMEOUT,
                        help='seconds a merge may take before it is '
                        'cancelled (default: %(default)s)')
    parser.add_argument('--bandwidth', type=int, default=0, metavar='MIB/S',
                        help='limit the I/O of a merge on a running domain '
                        '(default: no limit)')
    parser.add_argument('--debug', action='store_true')
    sub = parser.add_subparsers(dest='command', required=True)

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        return p

    def quiesce_opt(p):
        p.add_argument('--quiesce', choices=quiesce.MODES, default='auto',
                       help='freeze the guest file systems through '
                       'qemu-guest-agent (default: %(default)s)')

    def format_opt(p):
        p.add_argument('--format', choices=('table', 'json'),
                       default='table')

    p = add('create', cmd_create, 'take a snapshot of the disks')
    p.add_argument('domain')
    p.add_argument('--name')
    p.add_argument('--disk', action='append', metavar='TARGET',
                   help='a disk to cover, repeatable (default: the disks '
                   'the domain\'s snapshots cover, or every disk); the '
                   'others are left alone')
    quiesce_opt(p)
    p = add('list', cmd_list, 'list the snapshots of a domain')
    p.add_argument('domain')
    format_opt(p)
    for name, func, text in (('delete', cmd_delete, 'delete a snapshot'),
                             ('revert', cmd_revert,
                              'revert the disks to a snapshot')):
        p = add(name, func, text)
        p.add_argument('domain')
        p.add_argument('name')
    p = add('commit-all', cmd_commit_all,
            'fold every snapshot back into the base images')
    p.add_argument('domain')
    p = add('export', cmd_export,
            'copy one disk of a snapshot into a standalone qcow2')
    p.add_argument('domain')
    p.add_argument('name')
    p.add_argument('--disk', required=True, metavar='TARGET')
    p.add_argument('--to', required=True, metavar='FILE')

    p = add('set', None, 'snapshot sets across several domains')
    set_sub = p.add_subparsers(dest='set_command', required=True)
    sp = set_sub.add_parser('create', help='snapshot several domains at '
                            'one point in time')
    sp.set_defaults(func=cmd_set_create)
    sp.add_argument('set')
    sp.add_argument('domains', nargs='+', metavar='DOMAIN')
    quiesce_opt(sp)
    sp = set_sub.add_parser('list', help='list snapshot sets')
    sp.set_defaults(func=cmd_set_list)
    format_opt(sp)
    for name, func in (('restore', cmd_set_restore),
                       ('delete', cmd_set_delete)):
        sp = set_sub.add_parser(name, help='%s a snapshot set' % name)
        sp.set_defaults(func=func)
        sp.add_argument('set')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format='lightsnap: %(levelname)s: %(message)s')
    host = host_mod.Host(args.connect, args.state_dir, args.timeout,
                         progress=ProgressBar(),
                         job_bandwidth=args.bandwidth)
    try:
        args.func(host, args)
    except errors.LightSnapError as exc:
        print('lightsnap: error: %s' % exc, file=sys.stderr)
        return exc.exit_code
    except libvirt.libvirtError as exc:
        print('lightsnap: error: libvirt: %s' % exc.get_error_message(),
              file=sys.stderr)
        return 1
    except OSError as exc:
        # The engine names what it knows; anything else is still said
        # in one line, not a traceback.
        print('lightsnap: error: %s' % exc, file=sys.stderr)
        return 1
    finally:
        for name, report in host.reports():
            print('lightsnap: %s: %s' % (name, report), file=sys.stderr)
        host.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
