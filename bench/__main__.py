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

"""Benchmarks of light snapshots on real libvirt/QEMU (TCG) and gluster.

``./run bench`` runs them all; each prints its table, and one JSON file per
run lands in bench/results/ with the machine's details. They measure; they
never fail a test run. ``--only NAME`` runs one of them.
"""

import argparse
import datetime
import json
import os
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

from bench import common  # noqa: E402
from bench import create  # noqa: E402
from bench import gluster  # noqa: E402
from bench import gluster_clients  # noqa: E402
from bench import gluster_transports  # noqa: E402
from bench import merge  # noqa: E402
from bench import reads  # noqa: E402
from bench import revert  # noqa: E402
from bench import sets  # noqa: E402

BENCHES = {'create': create.run, 'merge': merge.run, 'revert': revert.run,
           'sets': sets.run, 'reads': reads.run, 'gluster': gluster.run,
           'gluster_clients': gluster_clients.run,
           'gluster_transports': gluster_transports.run}
RESULTS = os.path.join(TOP, 'bench', 'results')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='bench')
    parser.add_argument('--only', choices=sorted(BENCHES), action='append')
    args = parser.parse_args(argv)
    common.domains.libvirt.registerErrorHandler(lambda c, e: None, None)
    os.makedirs(common.domains.TEST_DIR, exist_ok=True)
    result = {'machine': common.machine(),
              'date': datetime.datetime.now(
                  datetime.timezone.utc).isoformat(timespec='seconds')}
    print('machine: %s' % json.dumps(result['machine']))
    started = time.monotonic()
    for name in args.only or list(BENCHES):
        t0 = time.monotonic()
        data, lines = BENCHES[name]()
        result[name] = data
        print('\n'.join(lines))
        print('  (%s took %.0f s)' % (name, time.monotonic() - t0),
              flush=True)
    result['total_s'] = round(time.monotonic() - started)
    os.makedirs(RESULTS, exist_ok=True)
    out = os.path.join(RESULTS, 'bench-%s.json' % time.strftime(
        '%Y%m%dT%H%M%S'))
    with open(out, 'w') as handle:
        json.dump(result, handle, indent=1)
    print('total %d s; wrote %s' % (result['total_s'], out))


if __name__ == '__main__':
    main()
