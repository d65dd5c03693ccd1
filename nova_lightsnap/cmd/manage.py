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

"""``lightsnap-manage``: administration of the plugin database.

::

    lightsnap-manage [--config-file F] db sync [REV]    # default: head
    lightsnap-manage [--config-file F] db version
    lightsnap-manage [--config-file F] db downgrade REV # e.g. base

The database is ``[database] connection`` of the API service's config file
(oslo.db's options; default ``sqlite:////var/lib/lightsnap/lightsnap.sqlite``).
Exit status: 0 done, 1 the database could not be used or migrated, 2 a
usage or configuration-file error.
"""

import logging
import os
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova_lightsnap.db import api
from nova_lightsnap.db import migration

PROG = 'lightsnap-manage'


class CommandError(Exception):
    pass


def _add_parsers(subparsers):
    db = subparsers.add_parser('db', help='the plugin database')
    actions = db.add_subparsers(dest='db_action', title='db commands',
                                metavar='{sync,version,downgrade}')
    actions.required = True
    sync = actions.add_parser(
        'sync', help='migrate the schema up to REV (default: head)')
    sync.add_argument('revision', nargs='?', default='head')
    actions.add_parser('version', help='print the current revision '
                                       '("base": no schema yet)')
    down = actions.add_parser(
        'downgrade', help='migrate the schema down to REV ("base": drop '
                          'every table of the plugin)')
    down.add_argument('revision')


def _conf(argv):
    conf = cfg.ConfigOpts()
    api.register_opts(conf)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'category', title='Commands', handler=_add_parsers))
    conf(argv, project='lightsnap', prog=PROG,
         default_config_files=[])
    return conf


def _masked(url):
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return url


def _check_connection(url):
    """Fail early, and readably, on a URL that cannot work at all."""
    if not url:
        raise CommandError('[database] connection is empty')
    try:
        parsed = sa.engine.make_url(url)
    except sa_exc.ArgumentError:
        raise CommandError('[database] connection %r is not an SQLAlchemy '
                           'URL (dialect+driver://user:password@host/'
                           'database)' % url)
    try:
        parsed.get_dialect()
    except sa_exc.NoSuchModuleError:
        raise CommandError('[database] connection %s: unknown database '
                           'dialect %r' % (_masked(url), parsed.drivername))
    except ImportError as exc:
        raise CommandError('[database] connection %s: the driver for %r is '
                           'not installed (%s)'
                           % (_masked(url), parsed.drivername, exc))
    if parsed.get_backend_name() == 'sqlite' and parsed.database and \
            parsed.database != ':memory:':
        directory = os.path.dirname(os.path.abspath(parsed.database))
        if not os.path.isdir(directory):
            raise CommandError('[database] connection %s: directory %s does '
                               'not exist' % (_masked(url), directory))


def _run(conf):
    action = conf.category.db_action
    _check_connection(conf.database.connection)
    if action == 'sync':
        migration.upgrade(conf, conf.category.revision)
        print(migration.version(conf))
    elif action == 'downgrade':
        migration.downgrade(conf, conf.category.revision)
        print(migration.version(conf) or 'base')
    elif action == 'version':
        print(migration.version(conf) or 'base')


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    logging.basicConfig(level=logging.WARNING,
                        format=PROG + ': %(levelname)s: %(message)s')
    # alembic's "Running upgrade a -> b" lines, not its other chatter.
    steps = logging.getLogger('alembic.runtime.migration')
    steps.setLevel(logging.INFO)
    steps.addFilter(lambda record: record.levelno > logging.INFO or
                    record.getMessage().startswith('Running '))
    try:
        conf = _conf(argv)
    except cfg.ConfigFilesNotFoundError as exc:
        print('%s: error: %s' % (PROG, exc), file=sys.stderr)
        return 2
    except (cfg.Error, ValueError) as exc:
        print('%s: error: configuration: %s' % (PROG, exc), file=sys.stderr)
        return 2
    try:
        _run(conf)
    except CommandError as exc:
        print('%s: error: %s' % (PROG, exc), file=sys.stderr)
        return 1
    except (db_exc.DBError, sa_exc.SQLAlchemyError) as exc:
        print('%s: error: database %s: %s'
              % (PROG, _masked(conf.database.connection),
                 getattr(exc, 'inner_exception', None) or exc),
              file=sys.stderr)
        return 1
    except Exception as exc:  # alembic's CommandError, a bad REV, ...
        if type(exc).__module__.startswith('alembic'):
            print('%s: error: %s' % (PROG, exc), file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == '__main__':
    sys.exit(main())
