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

"""Snapshot sets: one consistent point in time across several domains.

All domains are locked, their overlays prepared, then every guest that can
be frozen is frozen, all snapshots are taken in parallel and every guest is
thawed: the freeze window is the slowest single snapshot, not their sum. A
set is all or nothing: if one domain fails, the others are rolled back.
"""

import concurrent.futures
import contextlib
import dataclasses
import logging
import time

from nova_lightsnap.engine import errors
from nova_lightsnap.engine import quiesce
from nova_lightsnap.engine import state
from nova_lightsnap import names

LOG = logging.getLogger(__name__)


def _parallel(func, items):
    """Run ``func`` on every item at once; return [(item, exception)]."""
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        futures = [pool.submit(func, item) for item in items]
        out = []
        for item, future in zip(items, futures):
            try:
                future.result()
                out.append((item, None))
            except Exception as exc:  # reported to the caller below
                out.append((item, exc))
        return out


def _partly(results):
    """Busy when only running operations were in the way: retryable."""
    excs = [exc for _, exc in results if exc is not None]
    if all(isinstance(exc, errors.Busy) for exc in excs):
        return errors.Busy
    return errors.LightSnapError


def _failures(results):
    return '; '.join('%s: %s' % (item.name, exc)
                     for item, exc in results if exc is not None)


@dataclasses.dataclass
class _Member:
    dom: object  # DomainSnapshots
    st: object  # DomainState, locked
    prep: object = None
    frozen: bool = False
    taken: bool = False

    @property
    def name(self):
        return self.dom.name


def _members(open_domain, domain_names):
    if not domain_names:
        raise errors.InvalidInput('a snapshot set needs at least one domain')
    if len(set(domain_names)) != len(domain_names):
        raise errors.InvalidInput('a domain is named twice in the set')
    return [open_domain(name) for name in domain_names]


# ``open_domain(name_or_uuid)`` -> DomainSnapshots: ``host.domain`` unless
# the caller covers only some disks of each domain (Nova: the root disk).

def create(host, set_name, domain_names, quiesce_mode='auto',
           open_domain=None):
    names.check_snapshot_name(set_name, 'set name')
    quiesce.check_mode(quiesce_mode)
    started = time.monotonic()
    with host.registry.sets_locked():
        if any(s['name'] == set_name for s in host.registry.list_sets()):
            raise errors.InvalidInput('snapshot set %r exists already'
                                      % set_name)
        doms = _members(open_domain or host.domain, domain_names)
        with contextlib.ExitStack() as stack:
            members = [_Member(d, stack.enter_context(d.operation()))
                       for d in doms]
            for m in members:
                if m.st.has_snapshot(set_name):
                    raise errors.InvalidInput(
                        'domain %s already has a snapshot named %r'
                        % (m.name, set_name))
            # Recorded first: a process killed half-way leaves a set that
            # is listed as incomplete and can be deleted.
            host.registry.save_set({
                'name': set_name, 'created_at': state.now_iso(),
                'incomplete': True,
                'domains': [{'name': m.name, 'uuid': m.dom.uuid,
                             'quiesced': False} for m in members]})
            try:
                result = _take_all(members, set_name, quiesce_mode)
            except BaseException:
                host.registry.remove_set(set_name)
                raise
            result['elapsed'] = round(time.monotonic() - started, 3)
            host.registry.save_set(result)
            return result


def _take_all(members, set_name, quiesce_mode):
    def prepare(m):
        m.prep = m.dom.prepare_create(m.st, set_name, set_name=set_name)

    def freeze(m):
        m.frozen = quiesce.freeze(m.dom.dom, quiesce_mode)

    def take(m):
        m.dom.take(m.prep)
        m.taken = True

    def thaw(m):
        if m.frozen:
            quiesce.thaw(m.dom.dom)

    failed = _failures(_parallel(prepare, members))
    if failed:
        for m in members:
            if m.prep is not None:
                m.dom.abort_create(m.st, m.prep)
        raise errors.LightSnapError('snapshot set %r not created: %s'
                                    % (set_name, failed))

    frozen_at = time.monotonic()
    try:
        failed = _failures(_parallel(freeze, members))
        if failed:
            raise errors.QuiesceFailed('snapshot set %r not created: %s'
                                       % (set_name, failed))
        failed = _failures(_parallel(take, members))
    except BaseException:
        for m in members:
            m.dom.abort_create(m.st, m.prep)
        raise
    finally:
        _parallel(thaw, members)
        thawed_at = time.monotonic()

    for m in members:
        if m.taken:
            m.prep.quiesced = m.frozen or not m.prep.running
            m.dom.finish_create(m.st, m.prep)
        else:
            m.dom.abort_create(m.st, m.prep)
    if failed:
        # All or nothing: drop the snapshots the other domains did take.
        for m in members:
            if m.taken:
                m.dom.delete_in(m.st, set_name, purge=True)
        raise errors.LightSnapError('snapshot set %r not created: %s'
                                    % (set_name, failed))
    return {
        'name': set_name,
        'created_at': state.now_iso(),
        'domains': [{'name': m.name, 'uuid': m.dom.uuid,
                     'quiesced': m.prep.quiesced} for m in members],
        'freeze_window': round(thawed_at - frozen_at, 3),
    }


def _registered(host, set_name, open_domain):
    names.check_snapshot_name(set_name, 'set name')
    data = host.registry.load_set(set_name)
    open_domain = open_domain or host.domain
    return data, [open_domain(m['uuid']) for m in data['domains']]


def restore(host, set_name, open_domain=None):
    data, doms = _registered(host, set_name, open_domain)
    for dom in doms:
        if not any(s['name'] == set_name for s in dom.list()):
            if data.get('incomplete'):
                raise errors.NotFound(
                    'snapshot set %r is incomplete: its creation was '
                    'interrupted before domain %s took its snapshot; '
                    'nothing was restored, delete the set'
                    % (set_name, dom.name))
            raise errors.NotFound('domain %s no longer has the snapshot of '
                                  'set %r; nothing was restored'
                                  % (dom.name, set_name))
    results = _parallel(lambda d: d.revert(set_name), doms)
    failed = _failures(results)
    if failed:
        raise _partly(results)(
            'set %r restored only partly: %s; the set is intact, run '
            '"lightsnap set restore %s" again' % (set_name, failed,
                                                  set_name))
    return {'restored': set_name, 'domains': [d.name for d in doms]}


def delete(host, set_name, open_domain=None):
    data, doms = _registered(host, set_name, open_domain)

    def drop(dom):
        try:
            return dom.delete(set_name)
        except errors.NotFound:
            return {'deleted': None}

    results = _parallel(drop, doms)
    failed = _failures(results)
    if failed:
        raise _partly(results)(
            'set %r deleted only partly: %s; run "lightsnap set delete %s" '
            'again' % (set_name, failed, set_name))
    host.registry.remove_set(set_name)
    return {'deleted': set_name, 'domains': [d.name for d in doms]}


def list_sets(host):
    return host.registry.list_sets()
