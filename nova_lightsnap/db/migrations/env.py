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

"""The alembic environment of the plugin database.

Run by :mod:`nova_lightsnap.db.migration` (``lightsnap-manage db``), which
hands over an open connection in ``config.attributes['connection']``, or by
the ``alembic`` command for development (``alembic -c
nova_lightsnap/db/migrations/alembic.ini -x url=sqlite:////tmp/dev.sqlite
upgrade head``; see README.rst beside this file).

The version table is ``lightsnap_alembic_version``, never the default
``alembic_version``: the plugin's tables may share a schema with another
service's, and Nova's own tooling must not see a foreign revision.
"""

from logging import config as logging_config

from alembic import context
import sqlalchemy as sa

from nova_lightsnap.db import migration
from nova_lightsnap.db import models

config = context.config
target_metadata = models.BASE.metadata

# The alembic command (alembic.ini beside this file) sets logging up; a
# program that hands over its connection keeps its own.
if config.config_file_name and 'connection' not in config.attributes:
    logging_config.fileConfig(config.config_file_name,
                              disable_existing_loggers=False)


def _configure(**kw):
    context.configure(
        target_metadata=target_metadata,
        version_table=migration.VERSION_TABLE,
        include_name=migration.include_name,
        compare_type=True,
        compare_server_default=migration.compare_server_default,
        **kw)


def _url():
    url = context.get_x_argument(as_dictionary=True).get('url')
    return url or config.get_main_option('sqlalchemy.url')


def run_migrations_offline():
    """``--sql``: print the SQL for the URL's dialect, touch nothing."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get('connection')
    if connection is not None:
        _run(connection)
        return
    url = _url()
    if not url:
        raise SystemExit('no database: pass -x url=<SQLAlchemy URL> or set '
                         'sqlalchemy.url in the alembic config')
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection):
    # SQLite cannot ALTER most things: later revisions use batch mode there.
    _configure(connection=connection,
               render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
