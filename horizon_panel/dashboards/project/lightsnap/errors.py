"""The API's own message in the Horizon message, not in a hidden detail."""

import sys

from horizon import exceptions

from nova_lightsnap.client import exceptions as client_exc


def handle(request, message, **kwargs):
    exc = sys.exc_info()[1]
    if isinstance(exc, client_exc.ClientError):
        message = '%s %%(exc)s' % str(message).replace('%', '%%')
        kwargs.setdefault('details', '')
    return exceptions.handle(request, message, **kwargs)
