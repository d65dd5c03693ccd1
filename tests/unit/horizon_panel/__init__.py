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

"""Django test-client tests of the Horizon panel.

Django is configured when this package is imported: stestr imports the
test modules itself, without Django's test runner.
"""

import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE',
                      'tests.support.horizon_settings')

import django  # noqa: E402
from django.test import utils as django_test_utils  # noqa: E402

django.setup()
if not getattr(django_test_utils, '_lightsnap_ready', False):
    django_test_utils.setup_test_environment()
    django_test_utils._lightsnap_ready = True
