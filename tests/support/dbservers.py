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

"""Private PostgreSQL and MariaDB servers for the database tests.

Each server is started from Debian's packages (postgresql-15,
mariadb-server) as its own system user, into a fresh temporary directory,
listening on 127.0.0.1 on a free port and on a Unix socket in that
directory; nothing of the system's own clusters or ``/etc`` configuration is
used. :func:`start` returns a running :class:`Server`, whose
:meth:`~Server.new_database` creates a database owned by an unprivileged
user and returns its SQLAlchemy URL, and whose :meth:`~Server.stop` stops
the server by the PID it started and removes the directory.

A server that cannot start raises :class:`ServerError` carrying the
server's log: the tests fail with it, they never skip.

Test classes start one server per class (``setUpClass``), so a test process
(an stestr worker) starts each backend at most once per class that needs it;
an atexit hook stops whatever a test process leaves running.
"""

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

PASSWORD = 'lightsnap-test-pw'
USER = 'lightsnap'
START_TIMEOUT = 90
STOP_TIMEOUT = 60
LOG_TAIL = 6000


class ServerError(Exception):
    pass


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _tail(path, limit=LOG_TAIL):
    try:
        with open(path, errors='replace') as f:
            text = f.read()
    except OSError as exc:
        return '(no log: %s)' % exc
    return text[-limit:]


def _run(what, cmd, log=None, timeout=START_TIMEOUT):
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerError('%s: %s failed: %s%s' % (
            what, cmd[0], exc,
            '\n--- %s ---\n%s' % (log, _tail(log)) if log else ''))
    if proc.returncode:
        raise ServerError('%s: %s exited %d:\n%s%s' % (
            what, ' '.join(cmd), proc.returncode,
            proc.stdout.decode(errors='replace')[-LOG_TAIL:],
            '\n--- %s ---\n%s' % (log, _tail(log)) if log else ''))
    return proc.stdout.decode(errors='replace')


def _private_dir(prefix, user):
    path = tempfile.mkdtemp(prefix=prefix)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def _alive(pid):
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rpartition(')')[2].split()[0] != 'Z'


class Server(object):
    kind = None
    log = None

    def __init__(self):
        self.dir = None
        self.pid = None
        self.port = None

    def fail(self, message):
        raise ServerError('%s: %s\n--- %s ---\n%s'
                          % (self.kind, message, self.log, _tail(self.log)))

    def _admin(self, *statements):
        """Run ``statements`` as the server's superuser, autocommitted."""
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def new_database(self):
        """Create an empty database; return its SQLAlchemy URL."""
        name = 'lightsnap_%s' % uuid.uuid4().hex[:12]
        self._create_database(name)
        return self.url(name)

    def stop(self):
        try:
            if self.pid and _alive(self.pid):
                self._stop()
        finally:
            self.pid = None
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None

    def _wait_gone(self, pid, timeout):
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True


class PostgreSQL(Server):
    kind = 'postgresql'

    @staticmethod
    def bindir():
        override = os.environ.get('LIGHTSNAP_PG_BINDIR')
        if override:
            return override
        found = sorted(glob.glob('/usr/lib/postgresql/*/bin/pg_ctl'),
                       key=lambda p: int(p.split('/')[4]))
        if not found:
            raise ServerError('postgresql: no /usr/lib/postgresql/*/bin/'
                              'pg_ctl (Debian package postgresql-15)')
        return os.path.dirname(found[-1])

    def start(self):
        bindir = self.bindir()
        self.dir = _private_dir('lightsnap-pg-', 'postgres')
        self.data = os.path.join(self.dir, 'data')
        self.log = os.path.join(self.dir, 'postgresql.log')
        self.port = free_port()
        as_pg = ['runuser', '-u', 'postgres', '--']
        _run('postgresql', as_pg + [
            os.path.join(bindir, 'initdb'), '-D', self.data, '-U',
            'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
            '-E', 'UTF8', '--locale=C', '--no-sync'])
        options = ('-k %s -h 127.0.0.1 -p %d -F -c max_connections=30 '
                   '-c shared_buffers=16MB' % (self.dir, self.port))
        _run('postgresql', as_pg + [
            os.path.join(bindir, 'pg_ctl'), '-D', self.data, '-l', self.log,
            '-w', '-t', str(START_TIMEOUT), '-o', options, 'start'],
            log=self.log, timeout=START_TIMEOUT + 10)
        with open(os.path.join(self.data, 'postmaster.pid')) as f:
            self.pid = int(f.readline())
        self._admin('CREATE ROLE %s LOGIN PASSWORD \'%s\''
                    % (USER, PASSWORD))
        return self

    def _admin_connection(self):
        import psycopg2
        try:
            conn = psycopg2.connect(host=self.dir, port=self.port,
                                    user='postgres', dbname='postgres')
        except psycopg2.Error as exc:
            self.fail('cannot connect as postgres: %s' % exc)
        conn.autocommit = True
        return conn

    def _create_database(self, name):
        self._admin('CREATE DATABASE %s OWNER %s' % (name, USER))

    def url(self, name):
        return 'postgresql+psycopg2://%s:%s@127.0.0.1:%d/%s' % (
            USER, PASSWORD, self.port, name)

    def _stop(self):
        os.kill(self.pid, signal.SIGINT)  # "fast" shutdown
        if not self._wait_gone(self.pid, STOP_TIMEOUT):
            os.kill(self.pid, signal.SIGQUIT)  # "immediate"
            self._wait_gone(self.pid, 10)


class MariaDB(Server):
    kind = 'mariadb'

    def start(self):
        self.dir = _private_dir('lightsnap-mariadb-', 'mysql')
        self.data = os.path.join(self.dir, 'data')
        self.log = os.path.join(self.dir, 'mariadb.log')
        self.socket = os.path.join(self.dir, 'mysqld.sock')
        self.port = free_port()
        _run('mariadb', [
            'mariadb-install-db', '--no-defaults', '--datadir=' + self.data,
            '--user=mysql', '--auth-root-authentication-method=normal',
            '--skip-test-db', '--innodb-log-file-size=16M'])
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen([
                'mariadbd', '--no-defaults', '--datadir=' + self.data,
                '--socket=' + self.socket, '--bind-address=127.0.0.1',
                '--port=%d' % self.port, '--user=mysql',
                '--pid-file=' + os.path.join(self.dir, 'mariadbd.pid'),
                '--skip-name-resolve', '--skip-log-bin',
                '--skip-performance-schema',
                '--innodb-buffer-pool-size=32M',
                '--innodb-log-file-size=16M',
                '--innodb-flush-log-at-trx-commit=0',
                '--character-set-server=utf8mb4',
                '--collation-server=utf8mb4_general_ci',
            ], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.pid = None
                self.fail('mariadbd exited %d' % self.proc.returncode)
            try:
                self._admin()
                break
            except ServerError as exc:
                if time.monotonic() > deadline:
                    self.fail('no answer after %ds: %s'
                              % (START_TIMEOUT, exc))
                time.sleep(0.3)
        self._admin("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'"
                    % (USER, PASSWORD))
        return self

    def _admin_connection(self):
        import pymysql
        try:
            return pymysql.connect(unix_socket=self.socket, user='root',
                                   autocommit=True, connect_timeout=5)
        except pymysql.Error as exc:
            self.fail('cannot connect as root: %s' % exc)

    def _create_database(self, name):
        self._admin(
            'CREATE DATABASE %s CHARACTER SET utf8mb4' % name,
            "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'127.0.0.1'"
            % (name, USER))

    def url(self, name):
        return 'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4' % (
            USER, PASSWORD, self.port, name)

    def _stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


SERVERS = {'postgresql': PostgreSQL, 'mariadb': MariaDB}


def start(kind, attempts=3):
    """Start a private server of ``kind``; ServerError (with its log).

    A port taken between :func:`free_port` and the server's bind (another
    test process started a server at the same moment) means a new port.
    """
    for attempt in range(attempts):
        server = SERVERS[kind]()
        try:
            server.start()
        except ServerError as exc:
            server.stop()  # the error already carries the log
            if 'already in use' in str(exc) and attempt + 1 < attempts:
                continue
            raise
        except BaseException:
            server.stop()
            raise
        # Also stopped if the test process ends without tearDownClass.
        atexit.register(server.stop)
        return server
