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

"""Validation of every name that reaches the engine from outside.

Shared by the API (which refuses a bad name before any RPC), the engine
(which refuses it again, whoever called) and the tools, so it belongs to
none of them: it imports only :mod:`nova_lightsnap.exception`.

Names become parts of file names and libvirt XML, so only a conservative
alphabet is accepted; anything path-like is refused before libvirt or the
file system is touched.
"""

import re

from nova_lightsnap import exception

MAX_NAME = 64
# The most of a refused value a message shows: enough to recognise it, and
# a 50 MB value from a hostile client is never sent back whole.
SHOWN = 40
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
_FILE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._+-]*$')


def clip(text, limit=SHOWN):
    """``text`` as a message may show it: whole when short, else its first
    ``limit`` characters and how long it was."""
    text = str(text)
    if len(text) <= limit:
        return text
    return '%s... (%d characters)' % (text[:limit], len(text))


def check_snapshot_name(name, what='snapshot name'):
    if not isinstance(name, str) or not name:
        raise exception.InvalidInput('%s must be a non-empty string' % what)
    if len(name) > MAX_NAME:
        raise exception.InvalidInput('%s is longer than %d characters'
                                     % (what, MAX_NAME))
    if not _NAME.fullmatch(name) or '..' in name:
        raise exception.InvalidInput(
            '%s %r is not allowed: use letters, digits, ".", "_" and "-", '
            'starting with a letter or digit' % (what, name))
    return name


def check_basename(name, what='file name'):
    """A plain file name in the disk's own directory or volume."""
    if not isinstance(name, str) or not name:
        raise exception.InvalidInput('%s must be a non-empty string' % what)
    if (len(name) > 255 or not _FILE.fullmatch(name) or
            name in ('.', '..')):
        raise exception.InvalidInput(
            '%s %r is not a plain file name in the disk\'s directory'
            % (what, clip(name)))
    return name
