"""The calls a page makes dozens of times, made cheap: a translated text, a built URL and a
form input's attributes; and WTForms' catalogue, read once. A chart drew about sixty texts,
thirty URLs and a dozen inputs, and these were a fifth of its time. Each gives exactly what
the library's own call gives (tests/test_template_calls.py compares them)."""

import functools
import weakref

import flask
import wtforms.widgets.core
from babel import support
from flask import request
from flask_babel import get_locale
from jinja2 import pass_context
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

from ..extensions import babel

# How many texts a catalogue, and how many URLs an app, remember (the portal has about
# 1,500 texts; URLs with ids come and go, so the URL table starts again when full).
REMEMBERED_TEXTS = 10_000
REMEMBERED_URLS = 20_000


def init_app(app):
    _install_gettext(app)
    app.jinja_env.globals["url_for"] = _remembered_url_for()
    app.before_request(_hand_wtforms_its_catalogue)


def _hand_wtforms_its_catalogue():
    """Flask-WTF reads WTForms' own catalogue from its file again on every request that
    translates one of WTForms' messages (a fifth of a millisecond, on every conversation
    page): hand it the one read once per language, where Flask-WTF looks for it first."""
    request.wtforms_translations = _wtforms_catalogue(str(get_locale()))


@functools.lru_cache(maxsize=8)
def _wtforms_catalogue(locale):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _translations():
    """The request's catalogue, found once per request (extensions._OncePerRequestDomain)."""
    return babel.domain_instance.get_translations()


def _install_gettext(app):
    """Templates translate through the request's catalogue, and a text without placeholders is
    translated and made safe once per catalogue: Jinja's own path (ext._make_new_gettext)
    took two context calls and a format for each."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)
    texts = weakref.WeakKeyDictionary()  # catalogue -> {(autoescape, string): text}

    @pass_context
    def gettext(context, string, **variables):
        translations = _translations()
        autoescape = context.eval_ctx.autoescape
        # Markup on the catalogue's own text, as Jinja does; % escapes the variables.
        if variables:
            text = translations.ugettext(string)
            return (Markup(text) if autoescape else text) % variables  # noqa: S704
        known = texts.get(translations)
        if known is None:
            known = texts[translations] = {}
        text = known.get((autoescape, string))
        if text is None:
            text = translations.ugettext(string)
            text = (Markup(text) if autoescape else text) % {}  # noqa: S704
            if len(known) < REMEMBERED_TEXTS:  # a template passing arbitrary text stays bounded
                known[(autoescape, string)] = text
        return text

    app.jinja_env.globals.update(gettext=gettext, _=gettext)


def _remembered_url_for():
    """url_for for templates: the same endpoint and arguments under the same mount point
    always build the same relative URL, so each is built once. Relative endpoints (".x")
    and the special arguments (_external, _anchor, ...) take Flask's own path, as does a
    template drawn outside a request."""
    built = {}

    def url_for(endpoint, **values):
        if (endpoint[0] == "." or any(name[0] == "_" for name in values)
                or not flask.has_request_context()):
            return flask.url_for(endpoint, **values)
        key = (request.script_root, endpoint, *sorted(values.items()))
        try:
            return built[key]
        except KeyError:
            pass
        except TypeError:  # an argument that cannot be a key (a list)
            return flask.url_for(endpoint, **values)
        if len(built) >= REMEMBERED_URLS:
            built.clear()
        url = built[key] = flask.url_for(endpoint, **values)
        return url

    return url_for


def html_params(**kwargs):
    """WTForms' html_params with the same output, without Markup.format for each attribute
    (75 us for a text input, 16 us for each option of a select)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(wtforms.widgets.core.clean_key(key))
        if value is True:
            params.append(str(key))
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 - every part escaped above


# Where WTForms looks for html_params: its widgets module (selects, text areas), the copies
# inputs and buttons keep, and the package (labels).
HTML_PARAMS_HOMES = (wtforms.widgets.core, wtforms.widgets.core.Input,
                     wtforms.widgets.core.Button, wtforms.widgets)
wtforms_html_params = wtforms.widgets.core.html_params
for home in HTML_PARAMS_HOMES:
    home.html_params = staticmethod(html_params) if isinstance(home, type) else html_params
