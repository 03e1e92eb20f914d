"""Sign in to a running portal as a browser would and print the session cookie (for wrk).

Usage: bench_sign_in.py BASE_URL staff|patient NAME PASSWORD. Used by scripts/bench.sh to
load the pages people use signed in; the demo accounts live in a throwaway instance folder.

The load must come from the browser that signed in. Flask-Login's session protection keeps a
hash of the sign-in's address and User-Agent in the cookie; a request from another User-Agent
marks the session not fresh and answers with a re-signed cookie. A browser keeps that cookie
and pays once; wrk sends its first cookie forever and paid on every page, which no person
does. So every bench request sends USER_AGENT (bench.sh sets BENCH_USER_AGENT for wrk).
"""

import http.cookiejar
import os
import re
import sys
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
FORMS = {"staff": ("/staff/sign-in", "email"), "patient": ("/sign-in", "username")}
USER_AGENT = os.environ.get("BENCH_USER_AGENT", "portal-bench")


def browser_headers(cookie):
    """The headers of a signed-in bench request: its cookie, from the browser that got it."""
    return {"Cookie": cookie, "User-Agent": USER_AGENT}


def main(base, kind, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    path, name_field = FORMS[kind]
    page = opener.open(base + path).read().decode()
    token = CSRF.search(page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, name_field: name,
                                   "password": password}).encode()
    landed = opener.open(base + path, data=data)
    if landed.geturl().endswith(path):
        raise SystemExit(f"bench: the {kind} sign-in was refused")
    cookie = next(c for c in jar if c.name in ("portal_session", "__Host-portal"))
    print(f"{cookie.name}={cookie.value}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
