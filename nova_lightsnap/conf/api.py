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

"""The ``[api]`` options of lightsnap-api: its HTTP server, how it
authenticates, where instances come from, the embedded compute and the RPC
timeouts."""

import socket

from oslo_config import cfg

from nova_lightsnap.conf import keystone

API_GROUP = cfg.OptGroup(
    'api', title='lightsnap-api',
    help='The REST API service of nova-lightsnap.')

API_OPTS = [
    cfg.HostAddressOpt(
        'bind_host', default='127.0.0.1',
        help='Address lightsnap-api listens on.'),
    cfg.PortOpt(
        'bind_port', default=8799,
        help='Port lightsnap-api listens on.'),
    cfg.IntOpt(
        'server_threads', default=8, min=1,
        help='The lightsnap-api console script\'s HTTP server: threads '
             'that run requests. A request reaches one only once it has '
             'arrived whole, so slow clients hold none.'),
    cfg.IntOpt(
        'server_connection_limit', default=500, min=1,
        help='The lightsnap-api console script\'s HTTP server: open '
             'connections at most; past it new ones wait in the listen '
             'backlog. Each holds at most max_request_header_size plus '
             '[oslo_middleware] max_request_body_size of memory.'),
    cfg.IntOpt(
        'client_timeout', default=60, min=1,
        help='The lightsnap-api console script\'s HTTP server: seconds a '
             'connection may pass without sending or receiving a byte '
             '(an idle keep-alive, a client that stopped sending) before '
             'it is closed.'),
    cfg.IntOpt(
        'max_request_header_size', default=65536, min=1024,
        help='The lightsnap-api console script\'s HTTP server: bytes of '
             'request line and headers at most; larger is refused (431).'),
    cfg.StrOpt(
        'auth_strategy', default='noauth',
        choices=[('noauth', 'Trust the X-Project-Id, X-User-Id and X-Roles '
                            'headers of the request. Only for the embedded '
                            'mode on a trusted host, and tests.'),
                 ('keystone', 'keystonemiddleware auth_token validates the '
                              'token ([keystone_authtoken] options).')],
        help='How requests are authenticated.'),
    cfg.BoolOpt(
        'noauth_allow_non_loopback', default=False,
        help='auth_strategy = noauth trusts identity headers that anyone '
             'who reaches the port can send, so lightsnap-api refuses to '
             'start with it when bind_host is not a loopback address. '
             'True serves noauth on any address anyway: only on a network '
             'that no untrusted caller reaches. Prefer auth_strategy = '
             'keystone.'),
    cfg.StrOpt(
        'server_source', default='local',
        choices=[('local', 'The instances are the libvirt domains of this '
                           'host (libvirt_uri); projects come from '
                           'local_projects_file.'),
                 ('nova', 'Nova says which project owns an instance and '
                          'which compute host runs it ([nova] options).')],
        help='Where the owner and host of an instance come from.'),
    cfg.StrOpt(
        'local_projects_file',
        help='server_source = local: a JSON file mapping a domain uuid to '
             'the project that owns it, {"<uuid>": "<project_id>"}. Read '
             'on every request, so edits need no restart.'),
    cfg.StrOpt(
        'local_default_project', default='default',
        help='server_source = local: the project of the domains that '
             'local_projects_file does not name.'),
    cfg.StrOpt(
        'compute_host', default=socket.gethostname(),
        sample_default='<the host name>',
        help='server_source = local: the compute host name of this host '
             '(the RPC server of the embedded compute listens under it).'),
    cfg.BoolOpt(
        'embedded_compute', default=True,
        help='Serve the compute side in this process as well, on an '
             'in-process transport (fake://): one process with SQLite and '
             'the local libvirt is a complete system. False: the computes '
             'are reached over transport_url (nova-compute with the '
             'lightsnap driver).'),
    cfg.StrOpt(
        'libvirt_uri', default='qemu:///system',
        help='libvirt connection of the local host (server_source = local '
             'and the embedded compute).'),
    cfg.StrOpt(
        'state_dir', default='/var/lib/lightsnap',
        help='Embedded compute: the host-wide state directory of the '
             'engine (as lightsnap --state-dir).'),
    cfg.StrOpt(
        'export_dir', default='/var/lib/lightsnap/exports',
        help='Embedded compute: where exported snapshots are written.'),
    cfg.IntOpt(
        'job_timeout', default=3600, min=1,
        help='Embedded compute: seconds a merge may run before it is '
             'cancelled.'),
    cfg.IntOpt(
        'merge_bandwidth', default=0, min=0,
        help='Embedded compute: MiB/s a merge of a running domain may '
             'move; 0 is no limit.'),
    cfg.IntOpt(
        'rpc_timeout', default=60, min=1,
        help='Seconds to wait for a compute host to answer a short call '
             '(get, flags, progress).'),
    cfg.IntOpt(
        'operation_timeout', default=3900, min=1,
        help='Seconds to wait for a compute host to end a long operation '
             '(create, delete, revert, commit-all, export, sets); keep it '
             'above the computes\' job_timeout.'),
    cfg.FloatOpt(
        'progress_interval', default=1.0, min=0.05,
        help='Seconds between two progress polls of a running operation '
             '(written to the database, so GET shows a live percent).'),
    cfg.IntOpt(
        'task_stale_after', default=300, min=1,
        help='A running operation whose worker has not renewed its '
             'heartbeat for this many seconds was left by a process that '
             'died; the instance accepts a new operation. Keep it above '
             'rpc_timeout.'),
]


def register_opts(conf):
    conf.register_group(keystone.fresh_group(API_GROUP))
    conf.register_opts(API_OPTS, group=API_GROUP.name)


def list_opts():
    return [(API_GROUP, API_OPTS)]
