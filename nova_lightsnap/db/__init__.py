"""The plugin database: models, access layer and alembic migrations.

Written only by the lightsnap API service; compute nodes never touch it
(nova-compute runs with DISABLE_DB_ACCESS, and the chain metadata a compute
host needs lives beside the disks). See ``models`` for the tables, ``api``
for the oslo.db access layer and ``migration`` for ``lightsnap-manage db``.
"""
