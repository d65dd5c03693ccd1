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

"""lightsnap-api against hostile clients, as the console script serves it
(waitress, tests/functional/api/base.py starts it on loopback): oversized
bodies, slow clients and 200 connections at once.

Proven on the real process: a 50 MB body is refused with a small JSON 413
long before it could have been read, a chunked one at the limit; while
200 connections idle, trickle a body or trickle their headers, another
client's GETs keep being answered quickly, the server's memory (RSS)
stays bounded, silent connections are closed after client_timeout, and
no snapshot or operation is left half-done in the database; afterwards a
real snapshot is still taken and deleted.
"""

import json
import os
import socket
import sqlite3
import threading
import time

from tests.functional.api import base

MB = 1024 * 1024
LIMIT = 114688  # [oslo_middleware] max_request_body_size, the default
CLIENT_TIMEOUT = 4
# How long a GET may take while the hostile connections are open.
GET_WITHIN = 2.0
# How much the server's RSS may grow while they are (50 MB bodies and 200
# connections' buffers included).
RSS_GROWTH = 40 * MB


def rss(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS for %d' % pid)


def head(method, path, headers):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: 127.0.0.1',
             'X-Project-Id: project-a', 'X-Roles: member']
    lines += ['%s: %s' % kv for kv in headers.items()]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('ascii')


def read_response(sock, timeout=10):
    """(status, headers text, body bytes, total bytes) of one response
    that ends with the connection or its Content-Length."""
    sock.settimeout(timeout)
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    header, _, body = data.partition(b'\r\n\r\n')
    length = None
    for line in header.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value)
    while length is not None and len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    status = int(header.split(b' ')[1]) if header else None
    return status, header.decode('latin-1'), body, len(header) + len(body)


class Sender(threading.Thread):
    """Sends ``total`` bytes of body in 64 KiB pieces until the server
    stops taking them."""

    def __init__(self, sock, total):
        super().__init__(daemon=True)
        self.sock = sock
        self.total = total
        self.sent = 0
        self.error = None

    def run(self):
        piece = b'x' * (64 * 1024)
        try:
            while self.sent < self.total:
                self.sock.sendall(piece)
                self.sent += len(piece)
        except OSError as exc:
            self.error = exc


class HostileClientsTest(base.APITestCase):
    server_options = {'api': {'client_timeout': str(CLIENT_TIMEOUT),
                              'server_threads': '4'}}

    def connect(self):
        sock = socket.create_connection(('127.0.0.1', self.server.port),
                                        timeout=10)
        self.addCleanup(sock.close)
        return sock

    def snapshots_path(self):
        return '/v1/instances/%s/snapshots' % self.guests[0].uuid

    def assert_nothing_half_done(self):
        """No snapshot in the API, the database or on the domain, and no
        operation running."""
        guest = self.guests[0]
        status, _, body = self.client.get('/v1/instances/' + guest.uuid)
        self.assertEqual(200, status, body)
        self.assertEqual('idle', body['instance']['state'], body)
        status, _, body = self.client.get(self.snapshots_path())
        self.assertEqual((200, []), (status, body['snapshots']))
        self.assertEqual([], self.snapshot_list())
        db = sqlite3.connect(os.path.join(self.workdir, 'api.sqlite'))
        try:
            rows = [db.execute(query).fetchone()[0] for query in (
                'SELECT COUNT(*) FROM lightsnap_snapshots',
                'SELECT COUNT(*) FROM lightsnap_snapshot_sets',
                "SELECT COUNT(*) FROM lightsnap_instances "
                "WHERE task_state = 'running'")]
        finally:
            db.close()
        self.assertEqual([0, 0, 0], rows)

    def setUp(self):
        super().setUp()
        status, _, body = self.client.patch(
            '/v1/instances/' + self.guests[0].uuid, {'enabled': True})
        self.assertEqual(200, status, body)

    # -- oversized bodies ---------------------------------------------------

    def test_a_50_mb_body_is_refused_unread(self):
        total = 50 * MB
        before = rss(self.server.proc.pid)
        sock = self.connect()
        started = time.monotonic()
        sock.sendall(head('POST', self.snapshots_path(), {
            'Content-Type': 'application/json',
            'Content-Length': str(total)}))
        sender = Sender(sock, total)
        sender.start()
        status, header, body, size = read_response(sock)
        took = time.monotonic() - started
        sender.join(30)
        self.assertEqual(413, status, header)
        self.assertLess(took, 2.0)
        self.assertLess(size, 1024)
        self.assertIn('max_request_body_size', json.loads(body)['error'][
            'message'])
        self.assertIsNotNone(sender.error)
        # The kernel's socket buffers take some megabytes; the server
        # took no more.
        self.assertLess(sender.sent, total // 4)
        self.assertLess(rss(self.server.proc.pid) - before, RSS_GROWTH)
        self.addDetail('figures', base.testtools.content.text_content(
            '413 after %.3f s, response %d bytes, %d of %d bytes sent '
            'before the server closed (%s)' % (took, size, sender.sent,
                                               total, sender.error)))
        self.assert_nothing_half_done()

    def test_a_chunked_body_is_cut_at_the_limit(self):
        sock = self.connect()
        sock.sendall(head('POST', self.snapshots_path(), {
            'Content-Type': 'application/json',
            'Transfer-Encoding': 'chunked'}))
        piece = b'x' * 16384
        chunk = b'%x\r\n%s\r\n' % (len(piece), piece)
        status = None
        try:
            for _ in range(4 * LIMIT // len(piece)):
                sock.sendall(chunk)
        except OSError:
            pass
        status, header, body, size = read_response(sock)
        self.assertEqual(413, status, header)
        self.assertLess(size, 1024)
        self.assertEqual(413, json.loads(body)['error']['code'])
        self.assert_nothing_half_done()

    def test_a_long_value_is_not_echoed(self):
        status, _, body = self.client.post(
            self.snapshots_path(), {'name': 'n' * (LIMIT - 100)})
        self.assertEqual(400, status)
        self.assertLess(len(json.dumps(body)), 400)
        self.assert_nothing_half_done()

    # -- slow clients and many connections ----------------------------------

    def open_hostile(self):
        """200 connections: 80 silent, 60 trickling a create's body, 60
        trickling their headers; and the byte each trickle sends next."""
        silent = [self.connect() for _ in range(80)]
        bodies, heads = [], []
        for i in range(60):
            sock = self.connect()
            sock.sendall(head('POST', self.snapshots_path(), {
                'Content-Type': 'application/json',
                'Content-Length': '1000'}) + b'{"name": "slow-%d' % i)
            bodies.append(sock)
        for _ in range(60):
            sock = self.connect()
            sock.sendall(b'GET /v1/instances HTTP/1.1\r\nX-Proj')
            heads.append(sock)
        return silent, bodies, heads

    def trickle(self, socks, stop):
        while not stop.wait(0.5):
            for sock in socks:
                try:
                    sock.send(b'e')
                except OSError:
                    pass

    def test_200_slow_connections_do_not_stop_other_clients(self):
        pid = self.server.proc.pid
        path = '/v1/instances/' + self.guests[0].uuid
        self.assertEqual(200, self.client.get(path)[0])
        before = rss(pid)
        silent, bodies, heads = self.open_hostile()
        stop = threading.Event()
        trickler = threading.Thread(target=self.trickle,
                                    args=(bodies + heads, stop), daemon=True)
        trickler.start()
        self.addCleanup(stop.set)
        # A few 50 MB bodies at the same time.
        senders = []
        for _ in range(5):
            sock = self.connect()
            sock.sendall(head('POST', self.snapshots_path(), {
                'Content-Type': 'application/json',
                'Content-Length': str(50 * MB)}))
            senders.append(Sender(sock, 50 * MB))
            senders[-1].start()
        latencies, peak = [], before
        deadline = time.monotonic() + 2 * CLIENT_TIMEOUT + 4
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, _, body = self.client.get(path)
            latencies.append(time.monotonic() - started)
            self.assertEqual(200, status, body)
            peak = max(peak, rss(pid))
            time.sleep(0.2)
        # The silent ones were closed by the server (client_timeout and
        # its cleanup interval), the trickling ones are still open.
        closed = 0
        for sock in silent:
            sock.settimeout(0.5)
            try:
                closed += sock.recv(1) == b''
            except socket.timeout:
                pass
            except OSError:
                closed += 1
        stop.set()
        trickler.join(10)
        for sender in senders:
            sender.join(30)
        self.addDetail('figures', base.testtools.content.text_content(
            '%d GETs under 200 hostile connections: max %.3f s, mean '
            '%.3f s; RSS %.1f MiB before, peak %.1f MiB; %d of %d silent '
            'connections closed by the server; 50 MB senders sent %s bytes'
            % (len(latencies), max(latencies),
               sum(latencies) / len(latencies), before / MB, peak / MB,
               closed, len(silent), [s.sent for s in senders])))
        self.assertLess(max(latencies), GET_WITHIN)
        self.assertLess(peak - before, RSS_GROWTH)
        self.assertEqual(len(silent), closed)
        for sender in senders:
            self.assertIsNotNone(sender.error)
        for sock in bodies + heads + silent:
            sock.close()
        self.assert_nothing_half_done()
        # Still a working service: a real snapshot, taken and deleted.
        status, _, body = self.client.post(self.snapshots_path(),
                                           {'name': 'after', 'quiesce':
                                            'off'})
        self.assertEqual(202, status, body)
        status, body = self.wait_snapshot(self.guests[0], 'after')
        self.assertEqual('available', body['snapshot']['state'], body)
        self.assertEqual(202, self.client.delete(
            self.snapshots_path() + '/after')[0])
        self.assertEqual(404, self.wait_snapshot(self.guests[0], 'after')[0])
