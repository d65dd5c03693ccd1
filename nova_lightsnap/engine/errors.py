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

"""Errors the engine raises; each message says what to do about it."""


class LightSnapError(Exception):
    """Base class; the CLI prints the message and exits non-zero."""

    exit_code = 1


class InvalidInput(LightSnapError):
    exit_code = 2


class NotFound(LightSnapError):
    exit_code = 3


class Busy(LightSnapError):
    exit_code = 4


class Unsupported(LightSnapError):
    exit_code = 5


class QuiesceFailed(LightSnapError):
    pass


class BlockJobFailed(LightSnapError):
    """``unchanged``: the disk was seen as it was before the job (a
    journal of the job can go); otherwise how it ended is not known."""

    def __init__(self, message, unchanged=True):
        super().__init__(message)
        self.unchanged = unchanged


class ChainMismatch(LightSnapError):
    """The disks are not where the metadata says; nothing is touched."""


class InvalidState(LightSnapError):
    """The domain is in a state that forbids the operation (suspended,
    rescued, light snapshots not enabled); the message says what to do."""

    exit_code = 4
