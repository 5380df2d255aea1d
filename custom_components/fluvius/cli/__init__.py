"""`fluvius`: a meter's data from Mijn Fluvius on the command line, without Home Assistant.

It runs the integration's own client (`api/`) and pure modules (`peaks.py`); nothing here
imports Home Assistant, and Home Assistant never imports this package. Run it with
`python3 custom_components/fluvius/cli --help` (see the README, "Command line"): the folder's
`__main__.py` loads this package without running the integration's `__init__.py`.

Modules: app (arguments, exit codes, main), session (credentials, client, token cache,
progress, request log), export, summary (summary and peaks), report.
"""
