"""The end of a handler's cold start.

Everything a handler's imports create lives as long as its container, so the garbage collector's passes
over it are work for nothing: a handler module pauses collection before its imports (`gc.disable()`, its
first statement) and calls `imported()` after them, which moves what they made out of every later
collection and turns collection back on.
"""

import gc


def imported() -> None:
    # Once per process: a process that loads handlers again and again (the test suite) freezes only what
    # was there at the first, rather than keeping every later test's garbage for good.
    if not gc.get_freeze_count():
        gc.freeze()
    gc.enable()
