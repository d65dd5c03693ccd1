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

"""``lightsnap-scheduler``: the daily snapshots, as a service."""

import signal
import sys
import threading

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_log import log as logging

from nova_lightsnap.client import http
from nova_lightsnap.client import v1
import nova_lightsnap.conf
from nova_lightsnap.conf import lightsnap_api as lightsnap_api_conf
from nova_lightsnap.scheduler import clock as clock_mod
from nova_lightsnap.scheduler import daily

LOG = logging.getLogger(__name__)

CLI_OPTS = [
    cfg.BoolOpt('once', default=False,
                help='Make one pass (take the current day\'s snapshots '
                     'that are missing, apply the retention) and exit: for '
                     'cron, or to catch up by hand.'),
]


def build_client(conf):
    group = lightsnap_api_conf.API_GROUP.name
    api = conf[group]
    if api.auth_strategy == 'noauth':
        if not api.endpoint_override:
            raise ValueError('[%s] endpoint_override must give the URL of '
                             'lightsnap-api when auth_strategy = noauth'
                             % group)
        session = ks_loading.load_session_from_conf_options(conf, group)
        adapter = http.noauth_adapter(
            api.endpoint_override, api.noauth_project_id,
            user_id=api.noauth_user_id, roles=api.noauth_roles,
            session=session)
    else:
        auth = ks_loading.load_auth_from_conf_options(conf, group)
        if auth is None:
            raise ValueError('[%s] auth_type (and its options) must give '
                             'the service user when auth_strategy = '
                             'keystone' % group)
        session = ks_loading.load_session_from_conf_options(conf, group,
                                                            auth=auth)
        adapter = ks_loading.load_adapter_from_conf_options(
            conf, group, session=session, auth=auth)
    return v1.Client(adapter)


def build_scheduler(conf, client, clock):
    sched = conf.scheduler
    return daily.DailyScheduler(
        client, clock, daily_at=sched.daily_at, retention=sched.retention,
        poll_interval=sched.poll_interval, quiesce=sched.quiesce,
        operation_timeout=sched.operation_timeout)


def main(argv=None):
    conf = cfg.ConfigOpts()
    logging.register_options(conf)
    nova_lightsnap.conf.register_scheduler_opts(conf)
    conf.register_cli_opts(CLI_OPTS)
    conf(sys.argv[1:] if argv is None else argv, project='lightsnap',
         prog='lightsnap-scheduler')
    logging.setup(conf, 'lightsnap-scheduler')
    try:
        client = build_client(conf)
    except ValueError as exc:
        LOG.error('%s', exc)
        return 2
    stop = threading.Event()
    scheduler = build_scheduler(conf, client, clock_mod.SystemClock(stop))
    if conf.once:
        return 0 if scheduler.tick() else 1

    def _stop(signum, frame):
        LOG.info('signal %d: stopping', signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info('daily snapshots at %s UTC, %d kept per instance',
             conf.scheduler.daily_at, conf.scheduler.retention)
    scheduler.run(stop)
    return 0


if __name__ == '__main__':
    sys.exit(main())
