"""``geo-kttt users add|list|disable|enable|reset-password|grant|revoke|audit`` and ``geo-kttt publish``.

Over :mod:`geo_kttt.editing` (accounts, publishing); an :class:`EditingError` reaches the
one ``except`` of :func:`geo_kttt.cli.main` (``error: …``, exit code 2).

Passwords are read from the terminal (twice, never echoed) or, for scripts, one line from
standard input with ``--password-stdin``; never from the command line, where other users
of the machine could read them.
"""

from __future__ import annotations

import getpass
import json
import sys

from ..editing import accounts, db
from ..editing.errors import EditingError
from ..editing.publish import publish
from ..editing.workspace import open_workspace

DB_HELP = "sqlite:///… or postgresql://… (GEO_KTTT_EDITING_DATABASE_URL)"


def _workspace(args):
    return open_workspace(layers_dir=args.layers_dir, data_dir=args.data_dir,
                          atlas=args.database or args.atlas, database_url=args.editing_database)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise EditingError("err_password_mismatch")
    return first


def _districts(args) -> list[str]:
    return [d for d in (args.districts or "").split(",") if d.strip()]


def _known(ws):
    try:
        return ws.district_codes
    except Exception:  # noqa: BLE001 - without reference data, district codes are not checked
        return None


def _show(user) -> str:
    roles = ", ".join(r + (f" [{','.join(d)}]" if d else "") for r, d in sorted(user.roles.items())) or "-"
    state = "active" if user.active else "disabled"
    return f"{user.username:<20} {state:<9} {roles:<40} {user.display_name}"


def cmd_users(args) -> int:
    ws = _workspace(args)
    engine, action = ws.engine, args.users_command
    if action == "add":
        user = accounts.add_user(engine, args.username, _password(args), args.role or [],
                                 args.display_name or "", _districts(args), actor="cli",
                                 known_districts=_known(ws))
        print(f"Added {_show(user)}")
    elif action == "list":
        for user in accounts.list_users(engine):
            print(_show(user))
    elif action in ("disable", "enable"):
        print(_show(accounts.set_active(engine, args.username, action == "enable")))
    elif action == "reset-password":
        print(_show(accounts.reset_password(engine, args.username, _password(args))))
    elif action == "grant":
        print(_show(accounts.grant(engine, args.username, args.role, _districts(args),
                                   known_districts=_known(ws))))
    elif action == "revoke":
        print(_show(accounts.revoke(engine, args.username, args.role)))
    elif action == "audit":
        for e in reversed(db.audit_entries(engine, args.limit)):
            detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
            print(f"{e['at']}  {e['actor']:<16} {e['action']:<18} {e['target']:<32} {e['ip']:<15} {detail}")
    return 0


def cmd_publish(args) -> int:
    result = publish(_workspace(args), actor="cli")
    if result.error:
        print(f"error: publishing failed, nothing was published:\n{result.error}", file=sys.stderr)
        return 1
    print(f"Published {len(result.proposals)} proposal(s), {result.rows} change-log row(s)."
          if result.proposals else "Nothing approved is waiting to be published.")
    return 0


def register(subparsers) -> None:
    """Add ``geo-kttt users …`` and ``geo-kttt publish``."""
    u = subparsers.add_parser("users", help="accounts and roles of the browser editing (docs/editing.md)")
    u.add_argument("--editing-database", help=DB_HELP)
    sub = u.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account (password asked twice)")
    add.add_argument("username")
    add.add_argument("--role", action="append", choices=accounts.ROLES, help="repeat for several roles")
    add.add_argument("--display-name", help="the person's name, shown beside the username")
    add.add_argument("--districts", help="limit the contributor role to these district codes, e.g. 883,884")
    sub.add_parser("list", help="every account and its roles")
    audit = sub.add_parser("audit", help="the audit log: logins, account changes, proposals, decisions")
    audit.add_argument("--limit", type=int, default=200, help="newest entries to show (default 200)")
    for name, what in (("disable", "disable an account (ends its sessions)"), ("enable", "enable it again"),
                       ("reset-password", "set a new password (ends its sessions)")):
        p = sub.add_parser(name, help=what)
        p.add_argument("username")
    for name in ("grant", "revoke"):
        p = sub.add_parser(name, help=f"{name} a role")
        p.add_argument("username")
        p.add_argument("role", choices=accounts.ROLES)
        if name == "grant":
            p.add_argument("--districts", help="contributor only: limit to these district codes")
    for p in [add, *(sub.choices[n] for n in ("reset-password",))]:
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.set_defaults(func=cmd_users)
    pub = subparsers.add_parser("publish", help="write approved browser proposals to the layers and rebuild")
    pub.add_argument("--editing-database", help=DB_HELP)
    pub.set_defaults(func=cmd_publish)
