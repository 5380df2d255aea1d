"""Root conftest.

Importing `custom_components` here, before any `hass` fixture exists, makes Home Assistant
find this checkout's integration instead of the test plugin's own testing_config.
"""

import logging

import custom_components  # noqa: F401

# The test plugin logs every SQL statement at INFO; backfills write tens of thousands of
# rows, which floods CI output and slows the run. Warnings still show.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

# The test plugin also calls logging.basicConfig() when it is imported: a handler on the root
# logger that prints every record (the plugin lowers the level to DEBUG) straight to the
# terminal. pytest already captures each test's log (shown with a failing test), so that
# handler only adds lines between pytest's own, from threads (the recorder's) that log while
# no test is being captured. Only pytest's handlers stay.
for _handler in list(logging.getLogger().handlers):
    if type(_handler) is logging.StreamHandler:
        logging.getLogger().removeHandler(_handler)
