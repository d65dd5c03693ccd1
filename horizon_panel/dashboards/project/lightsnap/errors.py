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
