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

"""The options of nova-lightsnap, one module per group (as Nova's and
placement's ``conf`` packages).

Each service registers the groups it reads on its own ``ConfigOpts``:

* nova-compute with the driver: ``[lightsnap]`` of nova.conf
  (:func:`register_driver_opts`, on Nova's CONF);
* lightsnap-api: ``[api]``, ``[database]``, ``[oslo_middleware]
  max_request_body_size``, ``[nova]`` and ``[quota]``
  (:func:`register_api_opts`);
* lightsnap-scheduler: ``[scheduler]`` and ``[lightsnap_api]``
  (:func:`register_scheduler_opts`).

:mod:`nova_lightsnap.conf.opts` lists them for ``oslo-config-generator``
and the documentation. Nothing here imports the rest of nova_lightsnap.
"""

from oslo_middleware import sizelimit

from nova_lightsnap.conf import api
from nova_lightsnap.conf import database
from nova_lightsnap.conf import lightsnap
from nova_lightsnap.conf import lightsnap_api
from nova_lightsnap.conf import nova
from nova_lightsnap.conf import quota
from nova_lightsnap.conf import scheduler


def register_driver_opts(conf):
    lightsnap.register_opts(conf)


def register_api_opts(conf):
    api.register_opts(conf)
    database.register_opts(conf)
    # The body size limit: read by the HTTP server as well as by the
    # middleware, so registered before either starts.
    conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
    nova.register_opts(conf)
    quota.register_opts(conf)


def register_scheduler_opts(conf):
    scheduler.register_opts(conf)
    lightsnap_api.register_opts(conf)
