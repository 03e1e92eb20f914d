"""gunicorn settings for `make run` and production (bind is given on the command line)."""

workers = 2
timeout = 60
graceful_timeout = 20
accesslog = "-"
# %(U)s is the path without its query string: nothing a person typed reaches the log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
forwarded_allow_ips = "127.0.0.1"

# gunicorn's code for "a worker could not boot": the arbiter stops the whole server on it.
WORKER_BOOT_ERROR = 3


def post_worker_init(worker):
    """Refuse to serve when the base URL's scheme is not what this server speaks (TLS here
    with --certfile, or plain HTTP): the rule is portal/serving.py's."""
    from portal.config import ConfigurationError
    from portal.serving import check_served_scheme

    try:
        check_served_scheme(worker.wsgi.config, tls=worker.cfg.is_ssl)
    except ConfigurationError as error:
        worker.log.error("%s", error)
        raise SystemExit(WORKER_BOOT_ERROR) from error
