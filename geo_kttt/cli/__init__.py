"""The ``geo-kttt`` command line: one module per family of commands, registered by name.

Each command module (:mod:`.atlas`, :mod:`.serve`, :mod:`.export`, :mod:`.coverage`,
:mod:`.imports`) has ``register(subparsers)``; :func:`parser` calls them in that order.
:func:`main` has the one ``except`` of the command line: an :class:`~geo_kttt.errors.AtlasError`
prints ``error: <message>`` (and its note) to stderr and returns its exit code, with no
traceback. Messages and tables speak ``--lang`` (before the command; else a command's own
``--lang``, else GEO_KTTT_LANG; Vietnamese by default: officers read them).

May import: anything in the package (``cli/serve.py`` imports :func:`geo_kttt.server.create_app`);
nothing imports ``cli``. argparse is imported here and nowhere outside ``cli/``.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import AtlasError
from ..i18n import LANGS, say, t
from . import atlas, coverage, export, imports, serve, users
from .common import ui_lang

DESCRIPTION = "`geo-kttt` commands: thin over the core functions."
COMMANDS = (atlas, serve, export, coverage, imports, users)  # the order of `geo-kttt --help`


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geo-kttt", description=DESCRIPTION)
    p.add_argument("--data-dir", help="reference data folder (GEO_KTTT_DATA_DIR)")
    p.add_argument("--layers-dir", help="layer definitions and data (GEO_KTTT_LAYERS_DIR)")
    p.add_argument("--atlas", help="built atlas GeoPackage (GEO_KTTT_ATLAS)")
    p.add_argument("--database", help="postgresql:// URL of a PostGIS atlas (GEO_KTTT_DATABASE_URL)")
    p.add_argument("--lang", dest="ui_lang", choices=LANGS,
                   help="language of messages and tables (GEO_KTTT_LANG; default vi)")
    sub = p.add_subparsers(dest="command", required=True)
    for commands in COMMANDS:
        commands.register(sub)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as e:  # the one place errors meet the user: message, note, exit code
        lang = ui_lang(args)
        print(f"{t('cli_error', lang)}: {say(e, lang)}" + (f"\n{say(e.note, lang)}" if e.note else ""),
              file=sys.stderr)
        return e.exit_code
