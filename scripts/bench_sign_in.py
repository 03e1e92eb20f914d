"""Sign in to a running portal as a browser would and print the session cookie (for wrk).

Usage: bench_sign_in.py BASE_URL staff|patient NAME PASSWORD. Used by scripts/bench.sh to
load the pages people use signed in; the demo accounts live in a throwaway instance folder.
"""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
FORMS = {"staff": ("/staff/sign-in", "email"), "patient": ("/sign-in", "username")}


def main(base, kind, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
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
