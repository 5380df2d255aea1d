"""Entry point: `python3 custom_components/fluvius/cli ...` (or the checkout's `./fluvius`).

Python runs this file with the `cli` folder on sys.path. The integration's package
`custom_components.fluvius` is registered by its folder without running its `__init__.py`
(which imports Home Assistant), so the client and the CLI load with aiohttp alone.
This file must stay readable by old Pythons, to say which one is needed.
"""

# Old-Python syntax on purpose, and imports only once the version is known to be enough.
# ruff: noqa: PLC0415, UP031
import sys

MINIMUM = (3, 12)


def _bootstrap() -> None:
    import os
    import types

    cli = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or ".") == cli:
        del sys.path[0]  # the folder's modules are imported by their full names only
    integration = os.path.dirname(cli)
    for name, folder in (
        ("custom_components", os.path.dirname(integration)),
        ("custom_components.fluvius", integration),
    ):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [folder]
            sys.modules[name] = package


def _run() -> int:
    if sys.version_info < MINIMUM:
        sys.stderr.write(
            "fluvius: needs Python %d.%d or newer, this is %d.%d\n"
            % (MINIMUM + tuple(sys.version_info[:2]))
        )
        return 2
    if not __package__:
        _bootstrap()
    try:
        from custom_components.fluvius.cli.app import main
    except ImportError as err:  # aiohttp missing, most likely
        sys.stderr.write("fluvius: %s (install it: python3 -m pip install aiohttp)\n" % err)
        return 2
    return main()


if __name__ == "__main__":
    sys.exit(_run())
