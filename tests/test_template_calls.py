"""The cheap template calls (web/template_calls.py) give exactly what the libraries' own calls
give: the same translated text, the same URL, the same input markup."""

import flask_babel
import pytest
from markupsafe import Markup, escape
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.extensions import babel
from portal.web import template_calls


def render(app, source, **context):
    with app.test_request_context("/"):
        return app.jinja_env.from_string(source).render(**context)


def test_a_text_is_the_same_the_first_time_and_every_time_after(app):
    source = '{{ _("Sign in") }}|{{ _("100%% of it") }}|{{ _("Hello %(name)s", name=who) }}'
    for _ in range(2):  # the second render is served from what the first remembered
        assert render(app, source, who="<b>") == "Sign in|100% of it|Hello &lt;b&gt;"


def test_a_text_is_markup_only_where_the_template_escapes(app):
    # Remembered apart: the same text is Markup in an escaping template, plain text elsewhere.
    source = ('{{ _("A & B")|e }}|{{ _("Dear %(name)s", name=who) }}|{% autoescape false %}'
              '{{ _("A & B")|e }}|{{ _("Dear %(name)s", name=who) }}{% endautoescape %}')
    assert render(app, source, who="<b>") == "A & B|Dear &lt;b&gt;|A &amp; B|Dear <b>"


def test_a_trans_block_translates_through_the_same_call(app):
    assert render(app, "{% trans n=3 %}{{ n }} new{% endtrans %}") == "3 new"


def test_a_url_is_the_one_flask_builds_under_each_mount_point(app):
    source = ("{{ url_for('staff.chart', patient_id=7) }}|{{ url_for('staff.patients', page=2) }}"
              "|{{ url_for('staff.chart', patient_id=7, _anchor='messages') }}")
    at_root = "/staff/patients/7|/staff/patients?page=2|/staff/patients/7#messages"
    assert render(app, source) == at_root
    with app.test_request_context("/", base_url="http://localhost/portal/"):
        assert app.jinja_env.from_string(source).render() == (
            "/portal/staff/patients/7|/portal/staff/patients?page=2"
            "|/portal/staff/patients/7#messages")
    assert render(app, source) == at_root


def test_the_url_table_starts_again_when_full(app, monkeypatch):
    monkeypatch.setattr(template_calls, "REMEMBERED_URLS", 3)
    url_for = template_calls._remembered_url_for()
    with app.test_request_context("/"):
        built = [url_for("staff.chart", patient_id=number) for number in range(1, 8)]
    assert built == [f"/staff/patients/{number}" for number in range(1, 8)]


class Inputs(Form):
    name = StringField("Name", validators=[DataRequired()])
    pool = SelectField("Pool", choices=[SelectChoice("a", 'Front "desk"'),
                                        SelectChoice("b", "Billing & <forms>")])


@pytest.mark.parametrize("attributes", [
    {},
    {"class_": "input wide", "aria_describedby": "name-hint name-error", "aria_invalid": "true"},
    {"required": False, "aria_required": "true", "data_count": 3, "placeholder": 'a "b" <c>'},
    {"title": Markup('already "safe"'), "autofocus": True, "disabled": False},
])
def test_inputs_are_drawn_as_wtforms_draws_them(monkeypatch, attributes):
    form = Inputs(data={"name": 'O\'Neil "Jr" <x>', "pool": "b"})
    calls = []
    monkeypatch.setattr(template_calls, "escape", lambda value: calls.append(value) or escape(value))
    ours = (form.name(**attributes), form.pool(**attributes), form.name.label(**attributes))
    assert calls, "WTForms drew the inputs without the portal's html_params"
    for home in template_calls.HTML_PARAMS_HOMES:
        original = template_calls.wtforms_html_params
        monkeypatch.setattr(home, "html_params",
                            staticmethod(original) if isinstance(home, type) else original)
    assert ours == (form.name(**attributes), form.pool(**attributes),
                    form.name.label(**attributes))
    assert 'value="O&#39;Neil &#34;Jr&#34; &lt;x&gt;"' in ours[0]
    assert '<option selected value="b">Billing &amp; &lt;forms&gt;</option>' in ours[1]


def test_wtforms_reads_its_catalogue_once_per_language(app, client):
    from flask import request
    from flask_wtf.i18n import translations

    client.get("/")
    template_calls._wtforms_catalogue.cache_clear()
    seen = []
    for _ in range(2):
        with app.test_request_context("/"):
            app.preprocess_request()
            assert translations.gettext("Not a valid choice.") == "Not a valid choice."
            seen.append(request.wtforms_translations)
    assert seen[0] is seen[1]
    assert template_calls._wtforms_catalogue.cache_info().misses == 1


def test_a_url_drawn_outside_a_request_is_flasks_own(app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_NAME", "portal.test")
    with app.app_context():
        drawn = app.jinja_env.from_string("{{ url_for('staff.chart', patient_id=7) }}").render()
    assert drawn == "http://portal.test/staff/patients/7"


def test_python_texts_find_the_catalogue_once_a_request_and_work_outside_one(app, monkeypatch):
    """gettext and friends in Python (flask_babel) reach the request's catalogue without going
    through `g`'s proxy (extensions.py), with the same words; outside an app context they
    still answer, from Flask-Babel's own default."""
    found = []
    original = flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations",
                        lambda domain: found.append(1) or original(domain))
    with app.test_request_context("/"):
        assert flask_babel.get_domain() is babel.domain_instance
        words = [flask_babel.gettext("Hello %(name)s", name="Robin"),
                 flask_babel.ngettext("%(num)d day", "%(num)d days", 2),
                 str(flask_babel.lazy_gettext("Sign in"))]
    assert words == ["Hello Robin", "2 days", "Sign in"]
    assert len(found) == 1  # one request, one catalogue found
    with app.test_request_context("/"):
        flask_babel.gettext("Sign in")
    assert len(found) == 2  # and the next request finds its own
    assert flask_babel.gettext("%(num)d day", num=1) == "1 day"  # no app context at all
