"""Check that pages of a running atlas answer 200, and so does every CSS and JS file they link.

Usage: python3 scripts/smoke_pages.py BASE_URL PATH... [--wait SECONDS] [--log SERVER_LOG]
Standard library only, so any Python runs it (the smoke scripts use it with their own venvs).
Waits up to --wait seconds for the first page to answer; prints one line per URL; exit 1 on
any failure, with the server log's traceback lines when --log is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


class Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])


def get(url: str) -> tuple[int, bytes]:
    """Status and body of ``url``, asked for as a browser does (HTML first)."""
    req = urllib.request.Request(url, headers={"Accept": "text/html,*/*;q=0.8"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def exceptions(log: str) -> list[str]:
    """The last line of every traceback in a server log (the exception and its message)."""
    out, inside = [], False
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("Traceback (most recent call last)"):
                inside = True
            elif inside and not line.startswith((" ", "\t")):
                inside = False
                if line.strip() not in out:
                    out.append(line.strip())
    return out


def wait_for(url: str, seconds: float, pid: int | None = None) -> bool:
    """Wait until ``url`` answers at all; give up early when process ``pid`` has ended."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pid and not alive(pid):
            return False
        try:
            get(url)
            return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not open(f"/proc/{pid}/stat").read().split(") ")[-1].startswith("Z") \
        if os.path.exists(f"/proc/{pid}/stat") else True


def check(base: str, paths: list[str]) -> list[str]:
    """Every failure, as a line; prints every URL checked."""
    failures, seen = [], set()
    for path in paths:
        url = urljoin(base, path)
        status, body = get(url)
        print(f"  {status} {path}")
        if status != 200:
            failures.append(f"{path} answered {status}")
            continue
        parser = Assets()
        parser.feed(body.decode("utf-8", "replace"))
        if not parser.urls:
            failures.append(f"{path} links no CSS or JS")
        for asset in parser.urls:
            full = urljoin(url, asset)
            if urlsplit(full).netloc != urlsplit(base).netloc:
                failures.append(f"{path} links an outside asset {asset}")
            elif full not in seen:
                seen.add(full)
                code, _ = get(full)
                print(f"  {code}   {urlsplit(full).path}")
                if code != 200:
                    failures.append(f"{path}: {asset} answered {code}")
    return failures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base")
    p.add_argument("paths", nargs="+")
    p.add_argument("--wait", type=float, default=60)
    p.add_argument("--log", help="the server's log, quoted on failure")
    p.add_argument("--pid", type=int, help="the server's process: stop waiting when it ends")
    args = p.parse_args(argv)
    if not wait_for(urljoin(args.base, args.paths[0]), args.wait, args.pid):
        failures = [f"no answer from {args.base} within {args.wait:g} s"
                    + (" (the server process ended)" if args.pid and not alive(args.pid) else "")]
    else:
        failures = check(args.base, args.paths)
    if failures:
        print("FAILED:\n" + "\n".join(f"  {f}" for f in failures))
        if args.log:
            print("exceptions in the server log:\n" + "\n".join(f"  {e}" for e in exceptions(args.log)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
