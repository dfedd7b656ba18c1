"""People and what they may do: accounts, roles, passwords and login throttling.

Roles: ``contributor`` (proposes changes; may be limited to some districts), ``reviewer``
(approves, rejects or sends back), ``admin`` (accounts, reverts). Everyone else is the
public: the read-only atlas, no login. A person may hold several roles. There is no default
account: the first admin is made with ``geo-kttt users add NAME --role admin``.

Passwords are hashed with argon2id (argon2-cffi, RFC 9106 parameters). Each account has a
``stamp`` that every session carries: disabling the account, resetting its password or
logging out changes it, which ends every session of that account at once. Five failed
logins lock the account for 15 minutes; twenty from one address lock that address.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

import argon2
import sqlalchemy as sa

from . import db
from .errors import EditingError

ROLES = ("contributor", "reviewer", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 10
MAX_USER_FAILURES, MAX_IP_FAILURES, LOCK_MINUTES = 5, 20, 15
_hasher = argon2.PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """An account and its roles: role -> districts it is limited to (empty: everywhere)."""

    id: int
    username: str
    display_name: str
    active: bool
    stamp: str
    roles: dict = field(default_factory=dict)
    created_at: str = ""
    last_login_at: str | None = None

    def has(self, role: str) -> bool:
        return self.active and role in self.roles

    def may_propose_in(self, district: str) -> bool:
        """A contributor may propose in ``district`` (all districts unless limited)."""
        if not self.has("contributor"):
            return False
        limit = self.roles["contributor"]
        return not limit or district in limit

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})" if self.display_name else self.username


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise EditingError("err_password_short", n=MIN_PASSWORD)


def _districts(role: str, districts, known=None) -> str:
    codes = sorted({d.strip() for d in districts or () if d.strip()})
    if codes and role != "contributor":
        raise EditingError("err_district_limit")
    bad = [c for c in codes if known is not None and c not in known]
    if bad:
        raise EditingError("err_district_code", code=bad[0], allowed=", ".join(sorted(known)))
    return ",".join(codes)


def _role(role: str) -> str:
    if role not in ROLES:
        raise EditingError("err_role", role=role, allowed=", ".join(ROLES))
    return role


def add_user(engine, username: str, password: str, roles=(), display_name: str = "",
             districts=(), actor: str = "cli", known_districts=None) -> User:
    """Create an account with ``roles`` (``districts`` limits its contributor role).

    Raises
    ------
    EditingError
        For a bad or taken username, a short password, an unknown role or district.
    """
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise EditingError("err_username", name=username)
    check_password(password)
    roles = [_role(r) for r in roles]
    if districts and "contributor" not in roles:
        raise EditingError("err_district_limit")
    for role in roles:
        _districts(role, districts if role == "contributor" else (), known_districts)
    with engine.begin() as conn:
        if conn.execute(sa.select(db.users.c.id).where(db.users.c.username == username)).first():
            raise EditingError("err_user_exists", name=username)
        uid = conn.execute(db.users.insert().values(
            username=username, display_name=display_name.strip(), password_hash=_hasher.hash(password),
            active=1, stamp=secrets.token_hex(16), created_at=db.now()).returning(db.users.c.id)).scalar_one()
        for role in roles:
            limit = _districts(role, districts if role == "contributor" else (), known_districts)
            conn.execute(db.roles.insert().values(user_id=uid, role=role, districts=limit,
                                                  granted_at=db.now(), granted_by=actor))
        db.audit(conn, actor, "user.add", username, {"roles": roles, "districts": list(districts or ())})
    return get_user(engine, username)


def _load(conn, where) -> User | None:
    row = conn.execute(sa.select(db.users).where(where)).mappings().first()
    if row is None:
        return None
    grants = conn.execute(sa.select(db.roles.c.role, db.roles.c.districts)
                          .where(db.roles.c.user_id == row["id"])).all()
    return User(row["id"], row["username"], row["display_name"], bool(row["active"]), row["stamp"],
                {r: tuple(d.split(",")) if d else () for r, d in grants}, row["created_at"],
                row["last_login_at"])


def get_user(engine, username: str) -> User:
    with engine.connect() as conn:
        user = _load(conn, db.users.c.username == username.strip().lower())
    if user is None:
        raise EditingError("err_no_user", name=username, status=404)
    return user


def user_by_id(engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        return _load(conn, db.users.c.id == user_id)


def session_user(engine, user_id, stamp) -> User | None:
    """The account of a session, or None when it is disabled or its stamp has changed."""
    if not isinstance(user_id, int) or not isinstance(stamp, str):
        return None
    user = user_by_id(engine, user_id)
    if user is None or not user.active or not secrets.compare_digest(user.stamp, stamp):
        return None
    return user


def list_users(engine) -> list[User]:
    with engine.connect() as conn:
        ids = conn.execute(sa.select(db.users.c.id).order_by(db.users.c.username)).scalars().all()
        return [_load(conn, db.users.c.id == i) for i in ids]


def _update(engine, username: str, actor: str, action: str, detail: dict | None = None, **values) -> User:
    user = get_user(engine, username)
    with engine.begin() as conn:
        conn.execute(db.users.update().where(db.users.c.id == user.id).values(**values))
        db.audit(conn, actor, action, user.username, detail)
    return get_user(engine, username)


def set_active(engine, username: str, active: bool, actor: str = "cli") -> User:
    """Disable (ending its sessions) or enable an account."""
    return _update(engine, username, actor, "user.enable" if active else "user.disable",
                   active=int(active), stamp=secrets.token_hex(16))


def reset_password(engine, username: str, password: str, actor: str = "cli") -> User:
    """Set a new password; ends the account's sessions and lifts a lock."""
    check_password(password)
    user = _update(engine, username, actor, "user.reset_password",
                   password_hash=_hasher.hash(password), stamp=secrets.token_hex(16))
    with engine.begin() as conn:
        conn.execute(db.login_failures.delete().where(db.login_failures.c.key == f"user:{user.username}"))
    return user


def end_sessions(engine, user: User) -> None:
    """Change the account's stamp: every session of it ends (used by logout)."""
    with engine.begin() as conn:
        conn.execute(db.users.update().where(db.users.c.id == user.id).values(stamp=secrets.token_hex(16)))


def grant(engine, username: str, role: str, districts=(), actor: str = "cli", known_districts=None) -> User:
    """Give ``role`` (replacing its district limit when held already)."""
    user, role = get_user(engine, username), _role(role)
    limit = _districts(role, districts, known_districts)
    with engine.begin() as conn:
        conn.execute(db.roles.delete().where((db.roles.c.user_id == user.id) & (db.roles.c.role == role)))
        conn.execute(db.roles.insert().values(user_id=user.id, role=role, districts=limit,
                                              granted_at=db.now(), granted_by=actor))
        db.audit(conn, actor, "user.grant", user.username, {"role": role, "districts": limit})
    return get_user(engine, username)


def revoke(engine, username: str, role: str, actor: str = "cli") -> User:
    user, role = get_user(engine, username), _role(role)
    with engine.begin() as conn:
        conn.execute(db.roles.delete().where((db.roles.c.user_id == user.id) & (db.roles.c.role == role)))
        db.audit(conn, actor, "user.revoke", user.username, {"role": role})
    return get_user(engine, username)


# --- logging in -------------------------------------------------------------------------------

def _locked(conn, key: str, at: dt.datetime) -> dt.datetime | None:
    row = conn.execute(sa.select(db.login_failures.c.locked_until)
                       .where(db.login_failures.c.key == key)).first()
    if row and row[0] and dt.datetime.fromisoformat(row[0]) > at:
        return dt.datetime.fromisoformat(row[0])
    return None


def _fail(conn, key: str, limit: int, at: dt.datetime) -> int:
    """Count a failure for ``key`` within the lock window; lock it at ``limit``. Returns the count."""
    row = conn.execute(sa.select(db.login_failures).where(db.login_failures.c.key == key)).mappings().first()
    window = at - dt.timedelta(minutes=LOCK_MINUTES)
    if row is None or dt.datetime.fromisoformat(row["first_at"]) < window:
        conn.execute(db.login_failures.delete().where(db.login_failures.c.key == key))
        conn.execute(db.login_failures.insert().values(key=key, failures=1, first_at=at.isoformat()))
        return 1
    n = row["failures"] + 1
    until = (at + dt.timedelta(minutes=LOCK_MINUTES)).isoformat() if n >= limit else None
    conn.execute(db.login_failures.update().where(db.login_failures.c.key == key)
                 .values(failures=n, locked_until=until))
    return n


def authenticate(engine, username: str, password: str, ip: str = "", at: dt.datetime | None = None) -> User:
    """The account for ``username`` and ``password``; counts failures and locks.

    Returns
    -------
    User

    Raises
    ------
    EditingError
        ``err_login`` (same text for an unknown user and a wrong password, 401) or
        ``err_locked`` (429) while the account or the address is locked.
    """
    at = at or dt.datetime.now(dt.UTC)
    name = (username or "").strip().lower()[:40]
    keys = {f"user:{name}": MAX_USER_FAILURES, f"ip:{ip}": MAX_IP_FAILURES}
    with engine.begin() as conn:
        for key in keys:
            if (until := _locked(conn, key, at)) is not None:
                db.audit(conn, name or "-", "login.locked", key, ip=ip)
                raise EditingError("err_locked", status=429,
                                   minutes=max(1, int((until - at).total_seconds() // 60) + 1))
        row = conn.execute(sa.select(db.users.c.password_hash, db.users.c.active)
                           .where(db.users.c.username == name)).first()
    ok = False
    try:
        ok = _hasher.verify(row[0] if row else _DUMMY_HASH, password or "") and bool(row and row[1])
    except argon2.exceptions.VerificationError:
        ok = False
    with engine.begin() as conn:
        if not ok:
            counts = [_fail(conn, key, limit, at) for key, limit in keys.items()]
            db.audit(conn, name or "-", "login.failed", name, {"failures": counts[0]}, ip=ip)
            failed = True
        else:
            conn.execute(db.login_failures.delete().where(db.login_failures.c.key == f"user:{name}"))
            conn.execute(db.users.update().where(db.users.c.username == name).values(last_login_at=db.now()))
            db.audit(conn, name, "login", name, ip=ip)
            failed = False
    if failed:
        raise EditingError("err_login", status=401, failures=counts[0])
    if _hasher.check_needs_rehash(row[0]):
        with engine.begin() as conn:
            conn.execute(db.users.update().where(db.users.c.username == name)
                         .values(password_hash=_hasher.hash(password)))
    return get_user(engine, name)
