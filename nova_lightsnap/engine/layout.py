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
