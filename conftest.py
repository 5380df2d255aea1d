"""Root conftest.

Importing `custom_components` here, before any `hass` fixture exists, makes Home Assistant
find this checkout's integration instead of the test plugin's own testing_config.
"""

import logging

import custom_components  # noqa: F401

# The test plugin logs every SQL statement at INFO; backfills write tens of thousands of
# rows, which floods CI output and slows the run. Warnings still show.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
