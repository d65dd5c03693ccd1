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

"""Which layers a disk can do without, and the cheapest way to drop them.

A snapshot is a name on a read-only layer; layers form a tree once a revert
has branched the chain. A layer is needed while it carries a name, has two
or more children, or is the active image. Everything else goes: a layer with
no children is removed, and a run of layers with one child each is merged
into a single layer. The planner is pure: it sees only ``DiskState`` and the
sizes it is given, and returns one step at a time so that the executor can
journal each step and re-read the live chain before the next.
"""

import dataclasses

REMOVE = 'remove'
COMMIT = 'commit'            # intermediate blockCommit, COMMIT_RELATIVE
COMMIT_ACTIVE = 'commit-active'  # ACTIVE commit, wait for ready, pivot
PULL = 'pull'                # blockRebase of the active image, RELATIVE
OFFLINE_COMMIT = 'offline-commit'  # qemu-img commit + rebase -u


@dataclasses.dataclass
class Step:
    kind: str
    target: str
    # For REMOVE: the layer. For merges: the run, bottom first; the top
    # (``run[-1]``) keeps its content, the others go.
    run: list

    @property
    def base(self):
        return self.run[0]

    @property
    def top(self):
        return self.run[-1]

    @property
    def survivor(self):
        """The file that holds the merged content afterwards."""
        return self.top if self.kind == PULL else self.base

    @property
    def removed(self):
        if self.kind == REMOVE:
            return list(self.run)
        return [name for name in self.run if name != self.survivor]

    def describe(self):
        if self.kind == REMOVE:
            return '%s: remove unused layer %s' % (self.target, self.run[0])
        if self.kind == PULL:
            return '%s: pull %s into active %s' % (
                self.target, ', '.join(self.run[:-1]), self.top)
        return '%s: %s %s into %s' % (self.target, self.kind,
                                      ', '.join(self.run[1:]), self.base)


def _unneeded(disk, named, name):
    return name != disk.active and name not in named


def next_step(disk, named, running, sizes):
    """The next step that shrinks ``disk``, or None when nothing can go.

    ``named``: basenames that carry a snapshot name. ``running``: whether
    QEMU has the active chain open. ``sizes``: basename -> allocated bytes.
    """
    for name in sorted(disk.layers):
        if _unneeded(disk, named, name) and not disk.children(name):
            return Step(REMOVE, disk.target, [name])

    in_chain = set(disk.path_to_root(disk.active))

    def mergeable(name):
        return (_unneeded(disk, named, name) and
                len(disk.children(name)) == 1)

    for name in sorted(disk.layers):
        parent = disk.layers[name]
        if not mergeable(name) or (parent is not None and mergeable(parent)):
            continue
        run = [name]
        while mergeable(run[-1]):
            run.append(disk.children(run[-1])[0])
        top = run[-1]
        commit_cost = sum(sizes.get(n, 0) for n in run[1:])
        pull_cost = sum(sizes.get(n, 0) for n in run[:-1])
        if not running or top not in in_chain:
            # qemu-img rebase would compare the whole virtual disk; commit
            # copies only what the upper layers hold.
            return Step(OFFLINE_COMMIT, disk.target, run)
        if top != disk.active:
            return Step(COMMIT, disk.target, run)
        # The root's own backing chain is not ours to flatten, so pulling is
        # possible only above it.
        if disk.layers[run[0]] is not None and pull_cost < commit_cost:
            return Step(PULL, disk.target, run)
        return Step(COMMIT_ACTIVE, disk.target, run)
    return None


def apply(disk, step, snapshots):
    """Update ``disk`` and the snapshots' layers after ``step`` succeeded."""
    survivor = step.survivor
    if step.kind == PULL:
        disk.layers[survivor] = disk.layers[step.base]
    elif step.kind != REMOVE:
        for child in disk.children(step.top):
            disk.layers[child] = survivor
        for snap in snapshots:
            if snap.layers.get(disk.target) == step.top:
                snap.layers[disk.target] = survivor
        if disk.active == step.top:
            disk.active = survivor
    for name in step.removed:
        del disk.layers[name]
        disk.formats.pop(name, None)
