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

"""Schema migrations of the plugin database, driven through alembic's API.

The alembic environment lives inside the package,
``nova_lightsnap/db/migrations`` (``env.py``, ``script.py.mako``,
``versions/``, the ``alembic`` command's ``alembic.ini`` and a README), so
that ``lightsnap-manage db sync`` works the same from a source tree and
from an installed wheel. This module builds its alembic configuration
itself; ``alembic.ini`` is for developers running ``alembic``.

Revisions are recorded in their own version table,
``lightsnap_alembic_version``.
"""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
import sqlalchemy as sa

from nova_lightsnap.db import api

VERSION_TABLE = 'lightsnap_alembic_version'
SCRIPT_LOCATION = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               'migrations')


def include_name(name, type_, parent_names):
    """Autogenerate looks only at the plugin's tables, not its bookkeeping
    and not another service's tables in a shared schema."""
    if type_ == 'table':
        return name.startswith('lightsnap_') and name != VERSION_TABLE
    return True


_TRUTH = {'0': False, 'false': False, 'f': False,
          '1': True, 'true': True, 't': True}


def compare_server_default(context, inspected_column, metadata_column,
                           inspected_default, metadata_default,
                           rendered_metadata_default):
    """Boolean defaults are equal by value: the models say ``false()``,
    which MySQL/MariaDB stores and reflects as ``'0'``. Other columns are
    left to alembic (None)."""
    if not isinstance(metadata_column.type, sa.Boolean):
        return None
    if inspected_default is None or rendered_metadata_default is None:
        return None

    def value(text):
        return _TRUTH.get(str(text).strip().strip('()').strip("'").lower())
    inspected = value(inspected_default)
    rendered = value(rendered_metadata_default)
    if inspected is None or rendered is None:
        return None
    return inspected != rendered


def alembic_cfg(connection=None):
    """An alembic Config for our environment, on an open connection."""
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes['connection'] = connection
    return cfg


def _run(conf, fn, *args, connection=None):
    if connection is not None:
        return fn(alembic_cfg(connection), *args)
    # A private engine: migrating does not replace the configuration of a
    # process that also serves requests.
    context_manager = api.make_context_manager(conf)
    try:
        engine = context_manager.writer.get_engine()
        with engine.begin() as conn:
            return fn(alembic_cfg(conn), *args)
    finally:
        api.dispose_context_manager(context_manager)


def upgrade(conf, rev='head', connection=None):
    """Migrate the database of ``conf``'s ``[database]`` up to ``rev``."""
    _run(conf, alembic_command.upgrade, rev, connection=connection)


def downgrade(conf, rev, connection=None):
    """Migrate down to ``rev`` (``base``: no table of ours left)."""
    _run(conf, alembic_command.downgrade, rev, connection=connection)


def version(conf, connection=None):
    """The current revision, or None for an empty (unversioned) database."""
    def current(cfg):
        context = alembic_migration.MigrationContext.configure(
            cfg.attributes['connection'],
            opts={'version_table': VERSION_TABLE})
        return context.get_current_revision()
    return _run(conf, current, connection=connection)


def head():
    """The newest revision that this code knows."""
    return alembic_script.ScriptDirectory.from_config(
        alembic_cfg()).get_current_head()


def check_schema(conf):
    """Refuse to serve (SystemExit) a database that is not at the newest
    revision: lightsnap-api's console script and its WSGI entry point."""
    current = version(conf)
    if current != head():
        raise SystemExit(
            'lightsnap-api: the database %s is at revision %s, this code '
            'needs %s: run "lightsnap-manage --config-file FILE db sync"'
            % (conf.database.connection, current or 'base', head()))
