"""gunicorn settings for `make run` and production (bind is given on the command line)."""

workers = 2
timeout = 60
graceful_timeout = 20
accesslog = "-"
# %(U)s is the path without its query string: nothing a person typed reaches the log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
forwarded_allow_ips = "127.0.0.1"
