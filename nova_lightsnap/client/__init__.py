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

"""A Python client of the lightsnap REST API (``lightsnap-api``)."""

from nova_lightsnap.client.exceptions import BadRequest
from nova_lightsnap.client.exceptions import ClientError
from nova_lightsnap.client.exceptions import Conflict
from nova_lightsnap.client.exceptions import ConnectionFailed
from nova_lightsnap.client.exceptions import Forbidden
from nova_lightsnap.client.exceptions import NotFound
from nova_lightsnap.client.exceptions import OperationFailed
from nova_lightsnap.client.exceptions import ServiceUnavailable
from nova_lightsnap.client.exceptions import Unauthorized
from nova_lightsnap.client.exceptions import WaitTimeout
from nova_lightsnap.client.http import keystone_adapter
from nova_lightsnap.client.http import noauth_adapter
from nova_lightsnap.client.http import token_adapter
from nova_lightsnap.client.polling import wait
from nova_lightsnap.client.v1 import Client

__all__ = ['BadRequest', 'ClientError', 'Conflict', 'ConnectionFailed',
           'Forbidden', 'NotFound', 'OperationFailed', 'ServiceUnavailable',
           'Unauthorized', 'WaitTimeout', 'keystone_adapter',
           'noauth_adapter', 'token_adapter', 'Client', 'wait']
