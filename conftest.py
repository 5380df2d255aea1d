"""Root conftest.

Importing `custom_components` here, before any `hass` fixture exists, makes Home Assistant
find this checkout's integration instead of the test plugin's own testing_config.
"""

import custom_components  # noqa: F401
