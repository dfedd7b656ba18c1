"""One base for every error of the atlas: :class:`AtlasError` (a foundation: imports nothing).

An error's message says what is wrong and how to fix it. The error also says how the two
adapters report it, so neither keeps a table of its own (the model is pygeoapi's
``pygeoapi/error.py``):

- ``http_status``: the web app's one handler (``server/__init__.py``) answers with it:
  JSON under ``/ogcapi`` (OGC ``{code, description}``) and ``/api/``, an HTML page elsewhere;
- ``exit_code``: the command line's one ``except`` (``cli/__init__.py``) prints
  ``error: <message>`` and the ``note`` to stderr, no traceback, and exits with it;
- ``code``: the OGC API exception code in the JSON body under ``/ogcapi`` (by default the
  HTTP status phrase, as werkzeug's errors give it: ``BadRequest``, ``NotFound``).

Each error is defined beside the code that raises it and derives from AtlasError, and
from the builtin it has always been, so ``except ValueError`` keeps working:
``StringTableError`` (i18n), ``TableError`` (io), ``CatalogError`` (catalog), ``DataMissing``
(admin), ``ValidationFailed`` (validate), ``AtlasMissing`` and its ``AtlasUnreadable``
(store.base), ``PostgisMissing`` (store.postgis), ``ImportFailed`` (imports.source),
``CrsProblem`` (crs), ``EncodingProblem`` (imports.encodings), ``FilterError`` (maps.data),
``AssetMissing`` (maps.assets), ``CoverageError`` (coverage.analysis), ``ExportError``
(export.selection), ``ApiError`` (ogcapi), ``EditingError`` with its ``Conflict`` and
``NotAllowed`` (editing.errors), and ``Busy`` (server.heavy, answered where it is raised: 503
with ``Retry-After``). The app's handler answers an ``AtlasMissing`` (nothing built, or a
damaged atlas) with a 503 page and ``Retry-After`` and keeps its reason for the log.
``tests/test_errors.py`` checks that no error class of the package is left out.
"""

from __future__ import annotations


class AtlasError(Exception):
    """An error of the atlas, with its HTTP status and command-line exit code."""

    http_status = 500
    exit_code = 2
    code: str | None = None
    note = ""  # what the failure left behind, printed by the command line after the message

    @property
    def message(self) -> str:
        return str(self)
