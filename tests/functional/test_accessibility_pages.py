"""The accessibility policy and its test results page: what the policy claims (JIS X 8341-3:2016, which is WCAG
2.0; 配慮 until a person has tested the criteria), its target date from the setting, and a results page built
from the committed results file, linked from the policy and from every page's footer."""

from __future__ import annotations

from datetime import date

import pytest
from flask import render_template_string

from comments.accessibility import CRITERIA, load_results


def page_text(client, path: str, language: str) -> str:
    client.set_cookie("lang", language)
    response = client.get(path)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in text
    return text


def as_the_page_writes(app, template: str, **values) -> str:
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        return render_template_string(template, **values)


def test_the_policy_names_the_standard_rightly_and_claims_no_conformance_it_has_not_tested(client):
    text = page_text(client, "/accessibility", "en")
    assert "JIS X 8341-3:2016" in text
    assert "identical to ISO/IEC 40500:2012, that is, to WCAG 2.0" in text
    assert "WCAG 2.1" not in text
    assert "into account (配慮)" in text
    assert "Annex JB" in text
    assert 'href="/accessibility/results"' in text
    assert "shiseijoho@example.jp" in text  # whom to ask: the secretariat


def test_the_policy_gives_the_target_date_the_city_set(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESSIBILITY_TARGET_DATE", None)
    assert "Not yet set" in page_text(client, "/accessibility", "en")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_TARGET_DATE", date(2028, 3, 31))
    text = page_text(client, "/accessibility", "en")
    assert "Not yet set" not in text
    assert as_the_page_writes(app, "{{ calendar_day(day) }}", day=date(2028, 3, 31)) in text


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_links_to_the_results(client, language):
    assert 'href="/accessibility/results"' in page_text(client, "/", language)


def test_the_results_page_shows_the_committed_results(app, client):
    results = load_results()
    text = page_text(client, "/accessibility/results", "en")
    assert as_the_page_writes(app, "{{ calendar_day(day) }}", day=results["tested_on"]) in text
    assert f"axe-core {results['tools']['axe_core']}, {results['tools']['browser']}" in text
    for criterion in CRITERIA:
        assert f"{criterion.number} {criterion.en}" in text
    for page in results["pages"]:
        assert f"<code>{page['url'].replace('<', '&lt;').replace('>', '&gt;')}</code>" in text
    assert f"{len(results['pages'])} kinds of page" in text
    assert "No violation found" in text
    assert "does not show that the criterion is met" in text  # what automated testing leaves to a person


def test_the_results_page_in_japanese_names_the_criteria_as_the_jis_text_does(client):
    text = page_text(client, "/accessibility/results", "ja")
    for criterion in CRITERIA:
        assert f"{criterion.number} {criterion.ja}" in text
