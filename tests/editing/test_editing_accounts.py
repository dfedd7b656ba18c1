"""Editing core: the database and its migrations, accounts, roles, passwords, login throttling."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from editing_fixtures import PASSWORD

from geo_kttt.editing import accounts, db
from geo_kttt.editing.errors import EditingError
from geo_kttt.editing.workspace import secret_key


def test_migrations_create_every_table_once(ws):
    engine = ws.engine
    assert db.migrate(engine) == max(db.MIGRATIONS)  # idempotent: a second start changes nothing
    names = set(sa.inspect(engine).get_table_names())
    for table in db.meta.sorted_tables:
        assert table.name in names
        cols = {c["name"] for c in sa.inspect(engine).get_columns(table.name)}
        assert {c.name for c in table.columns} == cols, table.name
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM edit_schema_version ORDER BY version")).scalars()
        assert list(versions) == sorted(db.MIGRATIONS)


def test_no_default_account(ws):
    assert accounts.list_users(ws.engine) == []


def test_add_list_grant_revoke_disable(ws):
    e = ws.engine
    u = accounts.add_user(e, "Nguyen.An", PASSWORD, ["contributor"], display_name="Nguyễn An",
                          districts=["883", "884"], known_districts=ws.district_codes)
    assert u.username == "nguyen.an" and u.roles == {"contributor": ("883", "884")}
    assert u.may_propose_in("883") and not u.may_propose_in("890")
    u = accounts.grant(e, "nguyen.an", "reviewer")
    assert set(u.roles) == {"contributor", "reviewer"}
    u = accounts.grant(e, "nguyen.an", "contributor")  # lifting the district limit
    assert u.may_propose_in("890")
    u = accounts.revoke(e, "nguyen.an", "reviewer")
    assert set(u.roles) == {"contributor"}
    assert [x.username for x in accounts.list_users(e)] == ["nguyen.an"]
    u = accounts.set_active(e, "nguyen.an", False)
    assert not u.active and not u.has("contributor")
    actions = [a["action"] for a in db.audit_entries(e)]
    assert actions[::-1] == ["user.add", "user.grant", "user.grant", "user.revoke", "user.disable"]


@pytest.mark.parametrize("kwargs, key", [
    ({"username": "a"}, "err_username"), ({"username": "bad name"}, "err_username"),
    ({"password": "short"}, "err_password_short"), ({"roles": ["owner"]}, "err_role"),
    ({"roles": ["reviewer"], "districts": ["883"]}, "err_district_limit"),
    ({"districts": ["999"]}, "err_district_code")])
def test_bad_accounts_are_refused_with_a_reason(ws, kwargs, key):
    args = {"username": "someone", "password": PASSWORD, "roles": ["contributor"]} | kwargs
    with pytest.raises(EditingError) as e:
        accounts.add_user(ws.engine, args["username"], args["password"], args["roles"],
                          districts=args.get("districts", ()), known_districts=ws.district_codes)
    assert e.value.key == key and e.value.text("vi") and e.value.text("en")
    assert accounts.list_users(ws.engine) == []


def test_passwords_are_hashed_with_argon2(ws):
    accounts.add_user(ws.engine, "alice", PASSWORD, ["reviewer"])
    with ws.engine.connect() as conn:
        stored = conn.execute(sa.select(db.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_wrong_password_and_unknown_user_read_the_same(ws):
    accounts.add_user(ws.engine, "alice", PASSWORD, ["reviewer"])
    assert accounts.authenticate(ws.engine, "alice", PASSWORD).username == "alice"
    texts = set()
    for name, pw in (("alice", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(EditingError) as e:
            accounts.authenticate(ws.engine, name, pw, ip="10.0.0.1")
        assert e.value.http_status == 401
        texts.add(e.value.text("vi"))
    assert len(texts) == 1


def test_repeated_failures_lock_the_account_until_reset(ws):
    accounts.add_user(ws.engine, "alice", PASSWORD, ["reviewer"])
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(accounts.MAX_USER_FAILURES):
        with pytest.raises(EditingError):
            accounts.authenticate(ws.engine, "alice", f"guess {i}", ip=f"10.0.0.{i}", at=at)
    with pytest.raises(EditingError) as e:  # even the right password, while locked
        accounts.authenticate(ws.engine, "alice", PASSWORD, ip="10.0.1.1", at=at)
    assert e.value.key == "err_locked" and e.value.http_status == 429
    later = at + dt.timedelta(minutes=accounts.LOCK_MINUTES + 1)
    assert accounts.authenticate(ws.engine, "alice", PASSWORD, at=later).username == "alice"
    for i in range(accounts.MAX_USER_FAILURES):
        with pytest.raises(EditingError):
            accounts.authenticate(ws.engine, "alice", f"again {i}", at=later)
    accounts.reset_password(ws.engine, "alice", PASSWORD + "!")  # an admin lifts the lock
    assert accounts.authenticate(ws.engine, "alice", PASSWORD + "!", at=later).username == "alice"


def test_one_address_guessing_many_names_is_locked(ws):
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(accounts.MAX_IP_FAILURES):
        with pytest.raises(EditingError):
            accounts.authenticate(ws.engine, f"user{i}", "x" * 12, ip="10.9.9.9", at=at)
    with pytest.raises(EditingError) as e:
        accounts.authenticate(ws.engine, "anyone", "x" * 12, ip="10.9.9.9", at=at)
    assert e.value.key == "err_locked"


def test_disable_and_reset_end_sessions(ws):
    u = accounts.add_user(ws.engine, "alice", PASSWORD, ["reviewer"])
    assert accounts.session_user(ws.engine, u.id, u.stamp) == u
    accounts.reset_password(ws.engine, "alice", PASSWORD + "2")
    assert accounts.session_user(ws.engine, u.id, u.stamp) is None
    u = accounts.get_user(ws.engine, "alice")
    accounts.set_active(ws.engine, "alice", False)
    assert accounts.session_user(ws.engine, u.id, u.stamp) is None
    assert accounts.session_user(ws.engine, "1", "x") is None


def test_disabled_account_cannot_log_in(ws):
    accounts.add_user(ws.engine, "alice", PASSWORD, ["reviewer"])
    accounts.set_active(ws.engine, "alice", False)
    with pytest.raises(EditingError):
        accounts.authenticate(ws.engine, "alice", PASSWORD)


def test_secret_key_from_value_or_file(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_KTTT_SECRET_KEY", raising=False)
    monkeypatch.delenv("GEO_KTTT_SECRET_KEY_FILE", raising=False)
    assert secret_key() is None
    f = tmp_path / "secret"
    f.write_text("k" * 40 + "\n")
    assert secret_key(file=f) == "k" * 40
    with pytest.raises(EditingError):
        secret_key("too short")
    with pytest.raises(EditingError):
        secret_key(file=tmp_path / "missing")


def test_users_command_line(ws, monkeypatch, capsys):
    import io

    from geo_kttt.cli import main

    base = ["--layers-dir", str(ws.layers_dir), "--atlas", ws.atlas, "users"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*base, "add", "boss", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*base, "add", "ward", "--role", "contributor", "--districts", "883",
                 "--password-stdin"]) == 0
    assert main([*base, "grant", "ward", "reviewer"]) == 0
    assert main([*base, "revoke", "ward", "reviewer"]) == 0
    assert main([*base, "disable", "ward"]) == 0
    capsys.readouterr()
    assert main([*base, "list"]) == 0
    out = capsys.readouterr().out
    assert "boss" in out and "admin" in out and "ward" in out and "disabled" in out and "[883]" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*base, "reset-password", "ward", "--password-stdin"]) == 2
    assert "ít nhất" in capsys.readouterr().err  # the command line speaks Vietnamese by default
    assert main([*base, "grant", "nobody", "admin"]) == 2
    capsys.readouterr()
    assert main([*base, "audit", "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "user.disable" in lines[-1] and "ward" in lines[-1]
