"""Administration in headless Chromium, in Japanese and in English, by keyboard, with axe on every page.

An administrator invites a department clerk; the clerk opens the link from the mail (read from the outbox),
chooses a password, sets up the second factor (the code computed from the key the page shows) and sees only
their department's consultations and items. The administrator then records the clerk's transfer, and the
clerk's next request is refused: the session ended, and the access went with it. On the way, the review,
the departments, an account's page and the second-factor reset are opened from the administrator's home.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS, TIMEOUT_MS, serve_live
from tests.browser.support import assert_accessible, submit_with_keyboard

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
ADMIN_EMAIL = "browser-admin-{language}@example.jp"
ADMIN_PASSWORD = "browser-test-administrator-passphrase"
CLERK_PASSWORD = "a-clerk-chooses-this-passphrase"
OWN, OTHER = "介護保険課", "健康保険課"
OWN_TITLE, OTHER_TITLE = "介護保険課の評価書（案）", "健康保険課の評価書（案）"
OWN_GIST, OTHER_GIST = "介護の窓口について", "保険料の算定について"
NONE = {"ja": "なし", "en": "None"}
LINK = re.compile(r"https?://[^/\s]+(/auth/invitation/\S+)")


def _seed(app) -> None:
    """An administrator with a second factor; two departments, each with a consultation and an item assigned."""
    from comments.domain.accounts import create_user, enable_totp, new_totp_secret
    from comments.domain.audit import Actor
    from comments.domain.departments import department_named
    from comments.permissions import Role
    from tests.factories import assign, make_consultation, make_items

    # One administrator a language: a TOTP code is accepted once, and both runs may fall in one 30-second step.
    for language in LANGUAGES:
        admin = create_user(
            email=ADMIN_EMAIL.format(language=language),
            display_name=f"ブラウザ 管理者 {language}",
            password=ADMIN_PASSWORD,
            roles={Role.administrator},
            actor=Actor("test"),
        )
        enable_totp(admin, new_totp_secret(), Actor("test"))
    secretariat = create_user(
        email="browser-jimukyoku@example.jp",
        display_name="ブラウザ 事務局",
        password=ADMIN_PASSWORD,
        roles={Role.secretariat},
        actor=Actor("test"),
    )
    for name, title, gist in ((OWN, OWN_TITLE, OWN_GIST), (OTHER, OTHER_TITLE, OTHER_GIST)):
        department = department_named(name)
        consultation = make_consultation(department=department, title=title)
        assign(make_items(consultation, secretariat, gist), department)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    with serve_live(tmp_path_factory.mktemp("administration"), "administration", _seed) as server:
        yield server


@pytest.fixture
def open_page(browser, admin_server):
    """Pages on the administration server, each in a fresh context (its own cookies) in ``language``."""
    contexts = []

    def open_one(language: str):
        context = browser.new_context(base_url=admin_server.url, locale="ja-JP")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([{"name": "lang", "value": language, "url": admin_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield open_one
    for context in contexts:
        context.close()


def _follow(page, selector: str) -> None:
    """Follow a link as a keyboard user does: focus it and press Enter."""
    link = page.locator(selector).first
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _code(secret: str) -> str:
    from comments import clock

    return pyotp.TOTP(secret).at(clock.now())


def _sign_in_admin(page, app, language: str) -> None:
    from comments.extensions import db
    from comments.models import User

    email = ADMIN_EMAIL.format(language=language)
    with app.app_context():
        secret = db.session.execute(db.select(User.totp_secret).where(User.email == email)).scalar_one()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.fill("#code", _code(secret))
    with page.expect_navigation():
        page.press("#code", "Enter")
    page.wait_for_url("**/admin/accounts")


def _invitation_link(app, email: str) -> str:
    """The path of the link in the invitation mail, read from the outbox as the worker would send it."""
    from sqlalchemy import select

    from comments.extensions import db
    from comments.models import OutboxMessage

    with app.app_context():
        (body,) = [mail.body_text for mail in db.session.scalars(select(OutboxMessage)) if mail.to_address == email]
    return LINK.search(body).group(1)


def _account_to_transfer_later(app, language: str) -> str:
    """A secretariat account of its own for each language; returns its name."""
    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.extensions import db
    from comments.permissions import Role

    name = f"ブラウザ 異動予定 {language}"
    with app.app_context():
        create_user(
            email=f"browser-planned-{language}@example.jp",
            display_name=name,
            password=ADMIN_PASSWORD,
            roles={Role.secretariat},
            actor=Actor("test"),
        )
        db.session.commit()
    return name


def _in_days(days: int) -> str:
    from datetime import timedelta

    from comments import clock

    return (clock.japan_today() + timedelta(days=days)).isoformat()


def _department_id(app, name: str) -> str:
    from comments.extensions import db
    from comments.models import Department

    with app.app_context():
        return str(db.session.execute(db.select(Department.id).where(Department.name == name)).scalar_one())


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invited_clerk_works_in_their_department_until_the_transfer(open_page, admin_server, language):
    app = admin_server.app
    clerk_email = f"browser-clerk-{language}@example.jp"
    clerk_name = f"ブラウザ 職員 {language}"
    admin = open_page(language)
    _sign_in_admin(admin, app, language)
    assert_accessible(admin, language)

    # The invitation, from the administrator's home; sent empty first, to see the errors.
    _follow(admin, "main a[href='/admin/accounts/invite']")
    assert_accessible(admin, language)
    submit_with_keyboard(admin)
    expect(admin.locator("#email-error")).to_be_visible()
    assert_accessible(admin, language)
    admin.fill("#email", clerk_email)
    admin.fill("#display_name", clerk_name)
    admin.locator("input[name=roles][value=department_staff]").check()
    admin.select_option("#department_id", _department_id(app, OWN))
    submit_with_keyboard(admin)
    admin.wait_for_url("**/admin/accounts")
    expect(admin.locator("#invitations")).to_contain_text(clerk_email)
    assert_accessible(admin, language)

    # The clerk opens the link from the mail, chooses a password and sets up the second factor.
    link = _invitation_link(app, clerk_email)
    clerk = open_page(language)
    clerk.goto(link)
    expect(clerk.locator("#invited-email")).to_have_text(clerk_email)
    assert_accessible(clerk, language)
    clerk.fill("#password", CLERK_PASSWORD)
    clerk.fill("#confirm", CLERK_PASSWORD)
    submit_with_keyboard(clerk)
    clerk.wait_for_url("**/auth/second-factor/setup")
    assert_accessible(clerk, language)
    clerk.fill("#code", _code(clerk.locator("#totp-secret").inner_text()))
    submit_with_keyboard(clerk)
    clerk.wait_for_url("**/staff/")
    expect(clerk.locator("main")).to_contain_text(OWN_TITLE)
    expect(clerk.locator("main")).not_to_contain_text(OTHER_TITLE)
    _follow(clerk, "main a[href='/staff/queue']")
    expect(clerk.locator("main")).to_contain_text(OWN_GIST)
    expect(clerk.locator("main")).not_to_contain_text(OTHER_GIST)

    # The link works once.
    used = clerk.context.new_page()
    used.csp_violations = []
    answer = used.goto(link)
    assert answer.status == 410
    assert_accessible(used, language)
    used.close()

    # The administrator finds the clerk's page from the home page and records the transfer for today.
    admin.goto("/admin/accounts")
    _follow(admin, f"main a:text-is('{clerk_name}')")
    assert_accessible(admin, language)
    _follow(admin, "main a[href$='/transfer']")
    assert_accessible(admin, language)
    admin.fill("#new_post", "総務課（異動）")
    submit_with_keyboard(admin)
    expect(admin.locator("#account-roles")).to_have_text(NONE[language])

    # The clerk's next request is refused: the session ended, and the access went with it.
    clerk.goto("/staff/queue")
    clerk.wait_for_url(re.compile(r".*/auth/login.*"))

    # A second-factor reset asked for (without a reason first): it waits for another administrator.
    _follow(admin, "main a[href$='/second-factor-reset']")
    assert_accessible(admin, language)
    submit_with_keyboard(admin)
    expect(admin.locator("#reason-error")).to_be_visible()
    assert_accessible(admin, language)
    admin.fill("#reason", "スマートフォンの紛失")
    submit_with_keyboard(admin)
    expect(admin.locator("#account-resets")).to_contain_text("スマートフォンの紛失")
    assert_accessible(admin, language)

    # A transfer announced ahead waits on the review, beside the one carried out.
    planned_name = _account_to_transfer_later(app, language)
    admin.goto("/admin/accounts")
    expect(admin.locator("#waiting-resets")).to_contain_text(clerk_name)
    assert_accessible(admin, language)
    _follow(admin, f"main a:text-is('{planned_name}')")
    _follow(admin, "main a[href$='/transfer']")
    admin.fill("#effective_on", _in_days(30))
    admin.fill("#new_post", "4月1日付けで福祉課へ")
    submit_with_keyboard(admin)
    admin.goto("/admin/accounts")
    _follow(admin, "main a[href='/admin/accounts/review']")
    expect(admin.locator("#carried-out-transfers")).to_contain_text(clerk_name)
    expect(admin.locator("#waiting-transfers")).to_contain_text(planned_name)
    assert_accessible(admin, language)
    _follow(admin, "header a[href='/admin/departments']")
    assert_accessible(admin, language)
    _follow(admin, f"main a[href='/admin/departments/{_department_id(app, OWN)}']")
    assert_accessible(admin, language)
    # A name left empty is refused with its reason, on the page the administrator came from.
    admin.fill("#rename-name", "")
    rename = admin.locator("main form[action$='/rename'] button[type=submit]")
    rename.focus()
    with admin.expect_navigation():
        admin.keyboard.press("Enter")
    expect(admin.locator("#rename-name-error")).to_be_visible()
    assert_accessible(admin, language)
    # On a phone the administration pages reflow: their tables scroll inside their own region, never the page.
    admin.set_viewport_size({"width": 390, "height": 844})
    for path in ("/admin/accounts", "/admin/accounts/review", "/admin/departments", "/admin/audit"):
        admin.goto(path)
        assert admin.evaluate("document.documentElement.scrollWidth") <= 390, path
