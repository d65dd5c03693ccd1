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

"""A private RabbitMQ node for the RPC tests.

Started from Debian's package (rabbitmq-server) as the ``rabbitmq`` user,
with everything in a fresh temporary directory: database, logs,
configuration, plugin list and Erlang cookie (``HOME``); nothing of
``/etc/rabbitmq`` or ``/var/lib/rabbitmq`` is read or written. The node
(``lightsnap-test-<pid>@localhost``) listens for AMQP on 127.0.0.1 on a free
port with the default ``guest``/``guest`` user (loopback only). Erlang
distribution also stays on loopback: its own epmd, started here on
127.0.0.1 and a free port before the node so that the node never starts a
daemonized one of its own, and the node's distribution port bound to
127.0.0.1.

:func:`start` returns a running :class:`RabbitMQ` once it accepts an AMQP
login; :meth:`~RabbitMQ.stop` stops the node (SIGTERM to the start script,
whose trap shuts the broker down cleanly; SIGKILL to its process group if
that does not end it), then the epmd, both by the PIDs started here, and
removes the directory. A node that cannot start raises
:class:`~tests.support.dbservers.ServerError` with its log.
"""

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

from tests.support.dbservers import _private_dir
from tests.support.dbservers import _tail
from tests.support.dbservers import free_port
from tests.support.dbservers import ServerError

SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
EPMD = 'epmd'
USER = 'rabbitmq'
START_TIMEOUT = 60
STOP_TIMEOUT = 30


def _wait_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _end(proc, timeout, gently=signal.SIGTERM):
    """Stop ``proc`` (a session leader started here) and its group."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(gently)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        # Still the group's leader, so the group id is still ours.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


class RabbitMQ(object):

    def __init__(self):
        self.dir = None
        self.node = 'lightsnap-test-%d@localhost' % os.getpid()
        self.port = None
        self.proc = None
        self.epmd = None
        self.log = None

    @property
    def url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    def fail(self, message):
        raise ServerError('rabbitmq: %s\n--- %s ---\n%s'
                          % (message, self.log, _tail(self.log)))

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chown(path, self.uid, self.gid)
        return path

    def start(self):
        pw = pwd.getpwnam(USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.dir = _private_dir('lightsnap-rabbitmq-', USER)
        self.log = os.path.join(self.dir, 'console.log')
        self.port = free_port()
        epmd_port = free_port()
        as_rabbitmq = dict(user=self.uid, group=self.gid, extra_groups=[],
                           start_new_session=True, cwd=self.dir,
                           stdin=subprocess.DEVNULL)
        env = {
            'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
            'LANG': 'C.UTF-8',
            # The Erlang cookie of this node and its tools lives here.
            'HOME': self.dir,
            'ERL_EPMD_ADDRESS': '127.0.0.1',
            'ERL_EPMD_PORT': str(epmd_port),
        }
        with open(self.log, 'ab') as log:
            self.epmd = subprocess.Popen(
                [EPMD, '-address', '127.0.0.1', '-port', str(epmd_port)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
                **as_rabbitmq)
        if not _wait_port(epmd_port, self.epmd, 10):
            self.fail('epmd did not listen on port %d' % epmd_port)

        env.update({
            'RABBITMQ_NODENAME': self.node,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(free_port()),
            'RABBITMQ_MNESIA_BASE': os.path.join(self.dir, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.dir, 'log'),
            'RABBITMQ_CONFIG_FILE': self._write(
                'rabbitmq.conf', 'loopback_users.guest = true\n'),
            'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(
                self.dir, 'advanced.config'),
            'RABBITMQ_CONF_ENV_FILE': self._write('rabbitmq-env.conf', ''),
            'RABBITMQ_ENABLED_PLUGINS_FILE': self._write(
                'enabled_plugins', '[].\n'),
            # Erlang distribution on loopback only.
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
                '-kernel inet_dist_use_interface {127,0,0,1}',
        })
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(
                [SERVER], env=env, stdout=log, stderr=subprocess.STDOUT,
                **as_rabbitmq)
        self._wait_ready()
        return self

    def _wait_ready(self):
        import amqp
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.fail('rabbitmq-server exited %d' % self.proc.returncode)
            try:
                conn = amqp.Connection('127.0.0.1:%d' % self.port,
                                       userid='guest', password='guest',
                                       connect_timeout=2)
                conn.connect()
                conn.close()
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    self.fail('no AMQP login after %ds: %s'
                              % (START_TIMEOUT, exc))
                time.sleep(0.3)

    def stop(self):
        try:
            _end(self.proc, STOP_TIMEOUT)
            _end(self.epmd, 10)
        finally:
            self.proc = self.epmd = None
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None


def start():
    """Start a private RabbitMQ node; ServerError (with its log)."""
    server = RabbitMQ()
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    return server
