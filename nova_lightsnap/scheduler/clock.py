"""The scheduler's notion of time, injected so that tests can play days
in milliseconds."""

import datetime
import threading
import time


class SystemClock:
    """Wall time in UTC; ``sleep`` ends early when ``stop`` is set."""

    def __init__(self, stop=None):
        self.stop = stop or threading.Event()

    def now(self):
        return datetime.datetime.now(datetime.timezone.utc)

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        self.stop.wait(seconds)
