"""Officers keep the atlas current: accounts and roles, proposals with evidence, review, publish.

The flow is the atlas's one flow, never a side door: a proposal is validated with
:mod:`geo_kttt.validate`, reviewed by a second person, written to the layer files by the
deterministic writer :func:`geo_kttt.io.write_layer_file`, logged in ``layers/changes.csv``
(:func:`geo_kttt.imports.merge.append_changes`) and the atlas rebuilt atomically by
:mod:`geo_kttt.store` (GeoPackage or PostGIS).

Modules, in the order they depend on each other:

- ``errors``: :class:`EditingError`, with an i18n key, parameters and an HTTP status;
- ``db``: the database (SQLite beside the atlas, or PostgreSQL), numbered SQL migrations,
  the audit log;
- ``accounts``: users, roles (contributor, reviewer, admin), passwords (argon2), login throttling;
- ``workspace``: where the layers, reference data, atlas, database and evidence files are;
- ``evidence``: uploaded files, checked by content and stored outside the web root;
- ``positions``: a new position from the map, WGS 84, VN-2000 or geolocation; distances in metres;
- ``proposals``: a change to a site: its values, its evidence, the checks of ``geo-kttt validate``;
- ``review``: approve (with per-site versions), reject, send back;
- ``batch``: a whole file (as ``geo-kttt import`` reads it) as one batch of proposals;
- ``publish``: approved changes -> layer files -> changelog -> atomic rebuild; revert.

Its adapters are ``server/auth.py``, ``server/editing.py``, ``server/review.py`` (the pages)
and ``cli/users.py`` (``geo-kttt users …``, ``geo-kttt publish``).

May import: the foundations, the content model, ``store`` (the rebuild, GeoPackage or PostGIS)
and ``imports`` (the pinned VN-2000 transformation, the change log). Never Flask or argparse.
"""
