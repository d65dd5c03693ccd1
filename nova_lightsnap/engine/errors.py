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

"""The engine's errors, by the names the engine raises them under.

They are members of the one family, :mod:`nova_lightsnap.exception`
(``EngineError`` and below), so that the API maps a compute's errors as
it maps its own. Computes of before that move sent them over RPC under
this module's path; the API still accepts it
(``nova_lightsnap.rpc.ALLOWED_EXMODS``) and the names resolve to the same
classes.
"""

from nova_lightsnap import exception

LightSnapError = exception.EngineError
InvalidInput = exception.InvalidInput
NotFound = exception.EngineNotFound
Busy = exception.Busy
Unsupported = exception.Unsupported
QuiesceFailed = exception.QuiesceFailed
BlockJobFailed = exception.BlockJobFailed
ChainMismatch = exception.ChainMismatch
InvalidState = exception.InvalidState
