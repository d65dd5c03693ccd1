"""``./run soak``: the long create/delete soak on one running domain.

Runs tests.functional.faults.test_soak with 1,000 cycles (or
LIGHTSNAP_SOAK_CYCLES) and prints what it measured; the normal suite runs
the same test with 30 cycles.
"""

import os
import sys


def main():
    os.environ.setdefault('LIGHTSNAP_SOAK_CYCLES', '1000')
    os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
    import testtools
    from tests.functional.faults import test_soak

    case = test_soak.SoakTest('test_create_delete_cycles_under_writes')
    result = testtools.TextTestResult(sys.stdout, failfast=True)
    result.startTestRun()
    case.run(result)
    result.stopTestRun()
    details = case.getDetails()
    if 'soak' in details:
        print(details['soak'].as_text())
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
