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

"""The HTTP server of the ``lightsnap-api`` console script: waitress.

Why waitress: one I/O thread reads each request whole (request line,
headers and body, within the limits below) before a worker of a fixed
pool runs it. A client that connects and sends nothing, or trickles its
body, holds a connection slot and a bounded buffer, never a worker, so
the workers keep answering everyone else; a connection silent for
``client_timeout`` is closed; a body over ``[oslo_middleware]
max_request_body_size`` is refused from its Content-Length, unread.
(wsgiref, before it: a thread per connection, no timeout, no limit.)

Under uwsgi or mod_wsgi (``nova_lightsnap.api.wsgi``) these limits are
theirs to set; the body size limit of the middleware applies there too.
"""

import json

from waitress import channel as waitress_channel
from waitress import server as waitress_server
from waitress import task as waitress_task

from nova_lightsnap.api import middleware
from nova_lightsnap import exception
from nova_lightsnap import names


class _JSONErrorTask(waitress_task.ErrorTask):
    """The server's own refusals (413 by Content-Length, 431, a request
    that is not HTTP) in the contract's JSON body, as the application's
    are; its messages may quote a malformed line: only its start."""

    def execute(self):
        error = self.request.error
        if error.code == 413:
            message = exception.RequestEntityTooLarge(
                limit=self.channel.server.adj.max_request_body_size).message
        else:
            message = '%s: %s' % (error.reason, names.clip(error.body, 80))
        body = json.dumps(middleware.error_body(error.code, message)).encode(
            'utf-8')
        self.status = '%s %s' % (error.code, error.reason)
        self.response_headers.append(('Content-Type', 'application/json'))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(waitress_channel.HTTPChannel):
    error_task_class = _JSONErrorTask


def make_server(conf, application):
    """A bound, not yet running server of ``application``; ``run()``
    serves until KeyboardInterrupt, ``close()`` closes its sockets."""
    api = conf.api
    listeners = {}
    server = waitress_server.create_server(
        application, map=listeners,
        host=api.bind_host, port=api.bind_port,
        threads=api.server_threads,
        connection_limit=api.server_connection_limit,
        channel_timeout=api.client_timeout,
        # Idle connections are looked for this often.
        cleanup_interval=max(1, min(30, api.client_timeout // 2)),
        max_request_header_size=api.max_request_header_size,
        max_request_body_size=conf.oslo_middleware.max_request_body_size,
        # select() stops at 1024 descriptors; connection_limit may not.
        asyncore_use_poll=True,
        ident='lightsnap-api')
    # Every listening socket (a name may resolve to several) registered
    # itself in the map: each answers its own refusals in JSON.
    for dispatcher in listeners.values():
        if isinstance(dispatcher, waitress_server.BaseWSGIServer):
            dispatcher.channel_class = _Channel
    return server


def addresses(server):
    """The (host, port) pairs ``server`` listens on."""
    listen = getattr(server, 'effective_listen', None)
    if listen is not None:
        return list(listen)
    return [(server.effective_host, server.effective_port)]
