"""The base URL against what the server speaks: gunicorn.conf.py refuses to serve when browsers
would reach the portal by another scheme than its links say (the rule: served_scheme_problem).

The portal cannot tell from its settings alone whether gunicorn speaks TLS (that is gunicorn's
--certfile), so gunicorn checks once the app is loaded, before a worker takes a request.
"""

from .config import ConfigurationError


def served_scheme_problem(base_url, proxy_count, tls):
    """What is wrong when the base URL's scheme is not the one browsers reach the portal by,
    else None. `tls`: the server itself speaks HTTPS (gunicorn --certfile).

    - A server speaking HTTPS needs an https:// base URL: links must lead where it listens.
    - A server speaking plain HTTP with no proxy in front (PROXY_COUNT 0) needs an http://
      one: an https:// base URL makes the session cookie secure-only, which a browser on
      plain HTTP never sends back, so nobody could stay signed in.
    - Behind a proxy (PROXY_COUNT 1 or more) the proxy chooses what browsers see; production
      demands https:// there (config.production_problems).
    """
    https = base_url.startswith("https://")
    if tls and not https:
        return (f"the server speaks HTTPS but the base URL is {base_url}: set PORTAL_BASE_URL "
                "to the https:// address, or every emailed and printed link is wrong.")
    if not tls and not proxy_count and https:
        return (f"the base URL is {base_url} but the server speaks plain HTTP with no proxy in "
                "front (PORTAL_PROXY_COUNT is 0): put the TLS proxy in front and set "
                "PORTAL_PROXY_COUNT, give gunicorn --certfile and --keyfile, or use an http:// "
                "base URL.")
    return None


def check_served_scheme(config, tls):
    """Raise ConfigurationError when `config` (the app's) does not fit what the server speaks."""
    problem = served_scheme_problem(config["BASE_URL"], config["PROXY_COUNT"], tls)
    if problem:
        raise ConfigurationError("The portal will not start: " + problem)
