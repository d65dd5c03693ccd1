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

"""The journal: the one operation in flight on a domain.

An operation writes its journal into the domain's metadata before it
touches a disk, and clears it once the metadata says what the disks now
are. A journal still there when the next operation takes the lock was cut
off; recovery reads its phase from the live chain and goes on from there
through the same code a normal run uses:

Create and revert (``Switch``): the disks switch to new overlays.

* INTENT: journaled, no disk on its overlay yet (the overlays may be
  half-made). Rolled back: the overlays go, nothing changed.
* SWITCHED: every disk is on its overlay. Finished: the metadata takes
  the switch (``_commit_switch``, as at the end of a normal run).
* TORN: some disks switched, others not. Never left by an ATOMIC snapshot
  or a redefinition; a person must look.

Merge (``Merge``): one planner step, a block job or qemu-img.

* STARTED: journaled; the job may have run, partly or not at all.
  Nothing is lost either way: the journal is cleared and the next
  collection plans the step again from the metadata.
* TOOK_EFFECT: the merged layers left the chain. Finished: the metadata
  takes the step (``_finish_step``, as after a normal job).

On disk a journal is the dict the first versions wrote (``{'op': ...}``):
a journal left by an older version loads, and an older version reads one
written now.
"""

import dataclasses
import typing

from nova_lightsnap.engine import planner

CREATE = 'create'
REVERT = 'revert'
MERGE = 'merge'

INTENT = 'intent'
SWITCHED = 'switched'
TORN = 'torn'
STARTED = 'started'
TOOK_EFFECT = 'took-effect'


@dataclasses.dataclass
class Switch:
    """A create or revert: each covered disk onto a new overlay."""
    OP: typing.ClassVar[str] = ''
    name: str  # the snapshot created, or reverted to
    overlays: dict  # target -> the new overlay's basename
    parents: dict  # target -> the basename the overlay is backed by

    def phase(self, switched):
        """``switched``: the targets whose live active image is their
        overlay."""
        switched = set(switched) & set(self.overlays)
        if not switched:
            return INTENT
        if switched == set(self.overlays):
            return SWITCHED
        return TORN

    def to_dict(self):
        return dict(op=self.OP, **dataclasses.asdict(self))


@dataclasses.dataclass
class Create(Switch):
    OP: typing.ClassVar[str] = CREATE
    created_at: str | None = None
    set: str | None = None  # the snapshot set the snapshot belongs to
    quiesced: bool = False  # known once the snapshot is taken


@dataclasses.dataclass
class Revert(Switch):
    OP: typing.ClassVar[str] = REVERT
    was_running: bool = False  # started again once recovered
    # A transient domain is destroyed for the switch: its XML brings it
    # back. None for a persistent domain.
    xml: str | None = None
    kept: dict = dataclasses.field(default_factory=dict)  # target -> kept


@dataclasses.dataclass
class Merge:
    OP: typing.ClassVar[str] = MERGE
    step: planner.Step

    @staticmethod
    def phase(removed_gone):
        """``removed_gone``: whether the step's merged layers have left the
        chain (the live one, or the definition's for qemu-img)."""
        return TOOK_EFFECT if removed_gone else STARTED

    def to_dict(self):
        return {'op': self.OP, 'step': dataclasses.asdict(self.step)}


@dataclasses.dataclass
class Unknown:
    """A journal of an operation this version does not know (a newer
    version's): kept as it is, refused by recovery."""
    data: dict

    @property
    def OP(self):
        return self.data.get('op')

    def to_dict(self):
        return self.data


_SWITCHES = {cls.OP: cls for cls in (Create, Revert)}


def from_dict(data):
    """The typed journal of ``data`` as the metadata holds it, or None."""
    if data is None:
        return None
    op = data.get('op')
    if op == MERGE:
        return Merge(planner.Step(**data['step']))
    cls = _SWITCHES.get(op)
    if cls is None:
        return Unknown(dict(data))
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def to_dict(journal):
    return None if journal is None else journal.to_dict()
