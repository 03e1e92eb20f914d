"""The record's access history after issue 21 (part 5): a share's ZIP is worded as what it
held ("the shared parts: lab and test results, documents"), the list pages by 25, and the
patient can hide their own views and downloads with a GET form that works without JavaScript;
the filter keeps to the pager's links and costs no query more."""

import re

from conftest import count_queries
from records_data import archive_of, make_share, open_share, staff_opened, text, words

LINES = re.compile(r'<td data-label="What happened">(.*?)</td>', re.S)
WHO = "Someone with the link you shared with Dr. Lee, Lakeside Cardiology"


def lines(response):
    assert response.status_code == 200
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in LINES.findall(text(response))]


def test_a_share_of_some_parts_says_which_parts_its_zip_held(app, robin_client, publish_entry):
    for category in ("lab", "document", "immunization"):
        publish_entry(category)
    link, code, _page = make_share(robin_client, scope="parts", categories=["document", "lab"])
    provider = open_share(app, link, code)
    archive_of(provider).close()
    history = lines(robin_client.get("/records/history"))
    assert history[0] == f"{WHO} downloaded the shared parts: lab and test results, documents"
    assert "whole record" not in " ".join(history)


def test_a_whole_record_share_still_says_the_whole_record(app, robin_client, publish_entry):
    publish_entry("lab")
    link, code, _page = make_share(robin_client)
    archive_of(open_share(app, link, code)).close()
    assert lines(robin_client.get("/records/history"))[0] == f"{WHO} downloaded your whole record"


def test_hide_my_own_views_leaves_the_others(app, robin_client, nurse, publish_entry):
    lab = publish_entry("lab", test="Glucose, fasting")
    assert robin_client.get(f"/records/lab/{lab}").status_code == 200
    assert robin_client.get(f"/records/lab/{lab}.pdf").status_code == 200
    staff_opened(app, nurse, lab)
    page = robin_client.get("/records/history")
    assert lines(page) == ["A nurse at the practice opened Glucose, fasting",
                           "You downloaded Glucose, fasting as a PDF",
                           "You opened Glucose, fasting"]
    form = re.search(r'<form method="get" action="/records/history"[^>]*>(.*?)</form>',
                     text(page), re.S).group(1)
    assert 'name="mine" value="hide"' in form and "checked" not in form
    assert '<label for="mine">Hide my own views and downloads</label>' in form
    hidden = robin_client.get("/records/history?mine=hide")
    assert lines(hidden) == ["A nurse at the practice opened Glucose, fasting"]
    assert re.search(r'name="mine" value="hide" checked', text(hidden))
    assert lines(robin_client.get("/records/history?mine=other")) == lines(page)


def test_with_only_own_views_hidden_the_page_says_no_one_else(app, robin_client, publish_entry):
    lab = publish_entry("lab")
    robin_client.get(f"/records/lab/{lab}")
    assert "No one else has opened your record yet." in words(
        robin_client.get("/records/history?mine=hide"))


def test_pages_of_25_keep_the_filter(app, robin_client, nurse, publish_entry):
    lab = publish_entry("lab", test="Glucose, fasting")
    for _ in range(30):
        robin_client.get(f"/records/lab/{lab}")
    staff_opened(app, nurse, lab, times=26)
    everything = robin_client.get("/records/history")
    assert len(lines(everything)) == 25 and "Page 1 of 3" in words(everything)
    first = robin_client.get("/records/history?mine=hide")
    assert lines(first) == ["A nurse at the practice opened Glucose, fasting"] * 25
    assert "Page 1 of 2" in words(first)
    assert 'href="/records/history?page=2&mine=hide"' in text(first)
    second = robin_client.get("/records/history?page=2&mine=hide")
    assert lines(second) == ["A nurse at the practice opened Glucose, fasting"]
    assert 'href="/records/history?page=1&mine=hide"' in text(second)
    past = robin_client.get("/records/history?page=7&mine=hide")
    assert "There is nothing on this page." in words(past)
    assert 'href="/records/history?mine=hide"' in text(past)


def test_the_filtered_page_runs_the_same_queries_for_3_and_30_events(
        app, robin_client, nurse, publish_entry):
    counts = []
    for number in (3, 27):
        for index in range(number):
            entry_id = publish_entry("lab", test=f"Test {index}")
            staff_opened(app, nurse, entry_id)
            robin_client.get(f"/records/lab/{entry_id}")
        for url in ("/records/history?mine=hide", "/records/history"):
            robin_client.get(url)  # warm: the first request loads what every one caches
            counts.append(count_queries(app, lambda url=url: robin_client.get(url)))
    assert counts[0] == counts[2] and counts[1] == counts[3]
    assert counts[0] == counts[1]  # the filter is a condition, not a query
