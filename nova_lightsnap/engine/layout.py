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

"""Where a domain's light-snapshot files go, and how they are named.

Pure: names and paths only, nothing is opened.
"""

import os
import re

STATE_SUFFIX = '.lightsnap.json'
STORE_SUFFIX = '.lightsnap-store'


def overlay_name(root_basename, index):
    stem = root_basename
    for ext in ('.qcow2', '.img', '.raw'):
        if stem.endswith(ext):
            stem = stem[:-len(ext)]
            break
    return '%s.ls%04d.qcow2' % (stem, index)


def store_dir(state_path, uuid):
    """``<uuid>.lightsnap-store/<snapshot>/<target>-<layer>`` beside the
    metadata: one folder per domain, so domains sharing a directory never
    touch each other's."""
    return os.path.join(os.path.dirname(state_path), uuid + STORE_SUFFIX)


def kept_name(uuid, snapshot, target, layer):
    """Where a stored snapshot's disk is kept, relative to the disk's
    directory (the instance directory for Nova, where the metadata is):
    the store moves with it."""
    return os.path.join(uuid + STORE_SUFFIX, snapshot,
                        '%s-%s' % (target, layer))


def layer_index(basename):
    """The file number of an overlay's name, None for other images."""
    match = re.search(r'\.ls(\d{4,})\.qcow2$', basename)
    return int(match.group(1)) if match else None
