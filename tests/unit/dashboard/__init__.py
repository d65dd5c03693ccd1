"""Django test-client tests of the Horizon panel.

Django is configured when this package is imported: stestr imports the
test modules itself, without Django's test runner.
"""

import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.support.horizon_settings')

import django  # noqa: E402
from django.test import utils as django_test_utils  # noqa: E402

django.setup()
if not getattr(django_test_utils, '_lightsnap_ready', False):
    django_test_utils.setup_test_environment()
    django_test_utils._lightsnap_ready = True
