"""Administration in the browser's forms: invitations by mail, transfers (異動), second-factor resets by two
administrators, departments created, renamed and merged, and the periodic review's lists. Every action is in
the audit trail; hostile input gets its reason with 422 (or the refusal flashed, for a button), never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from comments import clock
from comments.extensions import db
from comments.models import (
    AccountInvitation,
    AccountTransfer,
    AuditEvent,
    Consultation,
    Department,
    Item,
    OutboxMessage,
    SecondFactorReset,
    User,
    UserSession,
)
from comments.permissions import Role
from comments.worker import carry_out_transfers
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, assign, make_consultation, make_items, make_user
from tests.functional.auth_helpers import sign_in

LINK = re.compile(r"http://localhost(/auth/invitation/\S+)")
STRONG = "a-brand-new-passphrase-for-2026"


def client_for(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the assertions read the English words
    assert sign_in(client, user).status_code == 303
    return client


def post(client, url, data, *, page):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def mails_to(address: str) -> list[OutboxMessage]:
    # The address is sealed (a new nonce each time), so it is compared once opened, never in SQL.
    return [mail for mail in db.session.scalars(select(OutboxMessage)) if mail.to_address == address]


def fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


@pytest.fixture
def department():
    made = Department(name="介護保険課")
    db.session.add(made)
    db.session.flush()
    return made


@pytest.fixture
def admin(app):
    user = make_user(Role.administrator)
    return user, client_for(app, user)


def invite(client, **fields):
    data = {"email": "shinjin@example.jp", "display_name": "新任 職員", "roles": [], "department_id": ""}
    data.update(fields)
    return post(client, "/admin/accounts/invite", data, page="/admin/accounts/invite")


# --- Invitations -------------------------------------------------------------------------------------------


def test_an_invited_clerk_chooses_a_password_and_a_second_factor_and_gets_the_account(app, admin, department):
    _, client = admin
    own = make_consultation(department=department, title="介護保険課の評価書（案）")
    other = make_consultation(department="健康保険課", title="健康保険課の評価書（案）")
    sent = invite(
        client, email="Shinjin@Example.jp", roles=[Role.department_staff.value], department_id=str(department.id)
    )
    assert sent.status_code == 303
    assert "shinjin@example.jp" in client.get("/admin/accounts").get_data(as_text=True), "listed as waiting"
    (mail,) = mails_to("shinjin@example.jp")
    link = LINK.search(mail.body_text).group(1)
    invitation = db.session.scalars(select(AccountInvitation)).one()
    assert link.rsplit("/", 1)[1] not in invitation.token_hash, "only the token's hash is kept"

    invitee = app.test_client()
    invitee.set_cookie("lang", "en")
    form = invitee.get(link)
    assert form.status_code == 200 and "shinjin@example.jp" in form.get_data(as_text=True)
    token = csrf_token_from(form.get_data(as_text=True))
    weak = invitee.post(link, data={"csrf_token": token, "password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "common passwords" in weak.get_data(as_text=True)
    assert db.session.scalars(select(User).where(User.email == "shinjin@example.jp")).first() is None

    made = invitee.post(link, data={"csrf_token": token, "password": STRONG, "confirm": STRONG})
    assert made.status_code == 303 and made.headers["Location"].endswith("/auth/second-factor/setup")
    setup = invitee.get("/auth/second-factor/setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup).group(1)
    done = invitee.post(
        "/auth/second-factor/setup",
        data={"csrf_token": csrf_token_from(setup), "code": pyotp.TOTP(secret).at(clock.now())},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/")
    home = invitee.get("/staff/").get_data(as_text=True)
    assert own.title in home and other.title not in home, "their department's consultations only"
    assert invitee.get(f"/staff/consultations/{own.id}/inbox").status_code == 200
    assert invitee.get(f"/staff/consultations/{other.id}/inbox").status_code == 404

    user = db.session.scalars(select(User).where(User.email == "shinjin@example.jp")).one()
    assert (user.roles, user.department_id, user.totp_enabled) == ({Role.department_staff}, department.id, True)
    assert fresh(AccountInvitation, invitation.id).user_id == user.id
    assert events("invitation.sent") and events("invitation.accepted") and events("user.created")
    assert invitee.get(link).status_code == 410, "the link works once"
    assert 'id="invitations"' not in client.get("/admin/accounts").get_data(as_text=True), "no longer waiting"


def test_a_member_invited_is_signed_in_with_the_password_alone(app, admin):
    _, client = admin
    assert invite(client, email="iin2@example.jp", roles=[Role.member.value]).status_code == 303
    link = LINK.search(mails_to("iin2@example.jp")[0].body_text).group(1)
    invitee = app.test_client()
    token = csrf_token_from(invitee.get(link).get_data(as_text=True))
    made = invitee.post(link, data={"csrf_token": token, "password": STRONG, "confirm": STRONG})
    assert made.status_code == 303
    assert invitee.get("/auth/account").status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Enter an e-mail address such as"),
        ({"email": "日本語@example.jp"}, "Enter an e-mail address such as"),
        ({"email": "x@example.jp\r\nBcc: evil@example.com"}, "Enter an e-mail address such as"),
        ({"email": "123456789018@example.jp"}, "Enter an e-mail address such as"),  # an individual number
        ({"email": ""}, "Enter the e-mail address the person signs in with."),
        ({"display_name": "   "}, "Enter the person"),
        ({"roles": []}, "Choose at least one role."),
        ({"roles": [Role.department_staff.value]}, "belong to a department"),
        ({"roles": ["root"]}, "is not a valid choice"),
        ({"department_id": "99999"}, "Not a valid choice"),
    ],
)
def test_an_invitation_with_bad_input_is_refused_and_mails_nothing(admin, fields, message):
    _, client = admin
    data = {"roles": [Role.secretariat.value], **fields}
    refused = invite(client, **data)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert db.session.scalars(select(AccountInvitation)).first() is None
    assert db.session.scalars(select(OutboxMessage)).first() is None


def test_no_invitation_for_an_existing_account_or_one_already_waiting(admin):
    _, client = admin
    existing = make_user(Role.secretariat)
    duplicate = invite(client, email=existing.email.upper(), roles=[Role.secretariat.value])
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(as_text=True)
    assert invite(client, roles=[Role.secretariat.value]).status_code == 303
    again = invite(client, roles=[Role.member.value])
    assert again.status_code == 422 and "already waiting" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(AccountInvitation)).all()) == 1


def test_expired_cancelled_resent_and_made_up_links_get_a_clear_page(app, admin, frozen_clock):
    admin_user, client = admin
    assert invite(client, roles=[Role.secretariat.value]).status_code == 303
    invitation = db.session.scalars(select(AccountInvitation)).one()
    first_link = LINK.search(mails_to(invitation.email)[0].body_text).group(1)
    invitee = app.test_client()
    invitee.set_cookie("lang", "en")

    made_up = invitee.get("/auth/invitation/not-a-token-we-ever-made")
    assert made_up.status_code == 404 and "This link is not valid" in made_up.get_data(as_text=True)

    frozen_clock.set(frozen_clock.current + timedelta(days=7, minutes=1))
    expired = invitee.get(first_link)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    token = csrf_token_from(invitee.get("/auth/login").get_data(as_text=True))
    late = invitee.post(first_link, data={"csrf_token": token, "password": STRONG, "confirm": STRONG})
    assert late.status_code == 410
    assert db.session.scalars(select(User).where(User.email == invitation.email)).first() is None

    page = "/admin/accounts"
    client = client_for(app, admin_user)  # a week on, the administrator signs in again
    assert "Expired" in client.get(page).get_data(as_text=True)
    resent = post(client, f"/admin/invitations/{invitation.id}/resend", {}, page=page)
    assert resent.status_code == 303 and events("invitation.resent")
    assert invitee.get(first_link).status_code == 404, "the earlier link stops working"
    second_link = LINK.search(mails_to(invitation.email)[-1].body_text).group(1)
    assert invitee.get(second_link).status_code == 200

    assert post(client, f"/admin/invitations/{invitation.id}/cancel", {}, page=page).status_code == 303
    cancelled = invitee.get(second_link)
    assert cancelled.status_code == 410 and "was cancelled" in cancelled.get_data(as_text=True)
    assert events("invitation.cancelled")
    refused = post(client, f"/admin/invitations/{invitation.id}/resend", {}, page=page)
    assert refused.status_code == 303
    assert "This invitation was cancelled." in client.get(page).get_data(as_text=True)
    assert len(mails_to(invitation.email)) == 2


def test_an_invitation_link_opened_while_signed_in_asks_to_sign_out_first(app, admin):
    _, client = admin
    invite(client, roles=[Role.member.value])
    link = LINK.search(mails_to("shinjin@example.jp")[0].body_text).group(1)
    answer = client.get(link)
    assert answer.status_code == 409 and "Sign out" in answer.get_data(as_text=True)


# --- Transfers ---------------------------------------------------------------------------------------------


def transfer(client, user, **fields):
    data = {"effective_on": clock.japan_today().isoformat(), "new_post": "介護保険課へ異動", "department_id": ""}
    data.update(fields)
    url = f"/admin/accounts/{user.id}/transfer"
    return post(client, url, data, page=url)


def test_a_transfer_removes_roles_and_department_and_ends_the_sessions_at_once(app, admin):
    _, client = admin
    clerk = make_user(Role.department_staff)
    clerk_client = client_for(app, clerk)
    assert clerk_client.get("/staff/").status_code == 200

    recorded = transfer(client, clerk)
    assert recorded.status_code == 303
    assert clerk_client.get("/staff/").status_code == 302, "the next request is refused"
    moved = fresh(User, clerk.id)
    assert (moved.roles, moved.department_id, moved.active) == (frozenset(), None, True)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == clerk.id)).all()
    assert rows and all(row.ended_at is not None for row in rows)
    (event,) = events("user.transferred")
    assert event.detail["previous_roles"] == ["department_staff"] and event.detail["sessions_ended"] == 1
    review = client.get("/admin/accounts/review").get_data(as_text=True)
    assert "介護保険課へ異動" in review.split('id="carried-out-transfers"')[1]
    again = app.test_client()
    assert sign_in(again, moved, code_step=1).status_code == 303
    assert again.get("/staff/").status_code == 403, "signed in again, without the old rights"


def test_a_transfer_keeps_what_the_new_post_needs(app, admin, department):
    _, client = admin
    clerk = make_user(Role.department_staff, Role.member)
    recorded = transfer(
        client,
        clerk,
        roles=[Role.department_staff.value, Role.member.value],
        department_id=str(department.id),
    )
    assert recorded.status_code == 303
    moved = fresh(User, clerk.id)
    assert (moved.roles, moved.department_id) == ({Role.department_staff, Role.member}, department.id)


def test_a_planned_transfer_waits_on_the_review_until_its_day(app, admin, frozen_clock):
    _, client = admin
    clerk = make_user(Role.department_staff)
    day = clock.japan_today() + timedelta(days=3)
    assert transfer(client, clerk, effective_on=day.isoformat()).status_code == 303
    still = fresh(User, clerk.id)
    assert still.roles == {Role.department_staff} and events("transfer.planned")
    review = client.get("/admin/accounts/review").get_data(as_text=True)
    assert still.display_name in review.split('id="waiting-transfers"')[1].split("</table>")[0]
    with app.app_context():
        assert carry_out_transfers(0) == 0, "not before its day"
    assert fresh(User, clerk.id).roles == {Role.department_staff}

    frozen_clock.set(frozen_clock.current + timedelta(days=3))
    with app.app_context():
        assert carry_out_transfers(0) == 1, "the worker carries it out on its day"
    done = fresh(AccountTransfer, db.session.scalars(select(AccountTransfer)).one().id)
    assert done.carried_out_at is not None and done.carried_out_by_id is None
    assert fresh(User, clerk.id).roles == frozenset()
    assert 'id="waiting-transfers"' not in client.get("/admin/accounts/review").get_data(as_text=True)


def test_a_planned_transfer_is_carried_out_early_or_cancelled_by_button(app, admin):
    admin_user, client = admin
    first, second = make_user(Role.secretariat), make_user(Role.secretariat)
    later = (clock.japan_today() + timedelta(days=30)).isoformat()
    transfer(client, first, effective_on=later)
    transfer(client, second, effective_on=later)
    one, other = db.session.scalars(select(AccountTransfer).order_by(AccountTransfer.id)).all()
    page = "/admin/accounts/review"
    assert post(client, f"/admin/transfers/{one.id}/carry-out", {}, page=page).status_code == 303
    assert fresh(User, first.id).roles == frozenset()
    assert fresh(AccountTransfer, one.id).carried_out_by_id == admin_user.id
    assert post(client, f"/admin/transfers/{other.id}/cancel", {}, page=page).status_code == 303
    assert fresh(User, second.id).roles == {Role.secretariat} and events("transfer.cancelled")
    again = post(client, f"/admin/transfers/{other.id}/carry-out", {}, page=page)
    assert again.status_code == 303 and fresh(User, second.id).roles == {Role.secretariat}
    assert "already carried out or cancelled" in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"new_post": "  "}, "Enter the new post"),
        ({"effective_on": "2027-02-30"}, "Not a valid date value"),
        ({"roles": [Role.department_staff.value]}, "belong to a department"),
        ({"roles": ["administrator", "root"]}, "is not a valid choice"),
    ],
)
def test_a_transfer_with_bad_input_is_refused(admin, fields, message):
    _, client = admin
    clerk = make_user(Role.department_staff)
    refused = transfer(client, clerk, **fields)
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert fresh(User, clerk.id).roles == {Role.department_staff}
    assert db.session.scalars(select(AccountTransfer)).first() is None


def test_no_second_waiting_transfer_and_none_of_ones_own(admin):
    admin_user, client = admin
    clerk = make_user(Role.secretariat)
    later = (clock.japan_today() + timedelta(days=5)).isoformat()
    assert transfer(client, clerk, effective_on=later).status_code == 303
    second = transfer(client, clerk, effective_on=later)
    assert second.status_code == 422 and "already waiting" in second.get_data(as_text=True)
    assert client.get(f"/admin/accounts/{admin_user.id}/transfer").status_code == 404


# --- Second-factor resets ----------------------------------------------------------------------------------


def test_a_second_factor_reset_takes_two_administrators(app, admin):
    first_admin, first = admin
    second_admin = make_user(Role.administrator)
    second = client_for(app, second_admin)
    clerk = make_user(Role.secretariat)
    clerk_client = client_for(app, clerk)
    account_page = f"/admin/accounts/{clerk.id}"

    url = f"{account_page}/second-factor-reset"
    blank = post(first, url, {"reason": " "}, page=url)
    assert blank.status_code == 422 and "Write why" in blank.get_data(as_text=True)
    assert post(first, url, {"reason": "機種変更で認証アプリを失った"}, page=url).status_code == 303
    reset = db.session.scalars(select(SecondFactorReset)).one()
    assert fresh(User, clerk.id).totp_enabled, "nothing changes on the request alone"

    own = post(first, f"/admin/second-factor-resets/{reset.id}/confirm", {}, page=account_page)
    assert own.status_code == 303
    assert "you asked for this reset yourself" in first.get(account_page).get_data(as_text=True)
    assert fresh(User, clerk.id).totp_enabled and clerk_client.get("/staff/").status_code == 200

    confirmed = post(second, f"/admin/second-factor-resets/{reset.id}/confirm", {}, page=account_page)
    assert confirmed.status_code == 303
    cleared = fresh(User, clerk.id)
    assert (cleared.totp_enabled, cleared.totp_secret) == (False, None)
    assert clerk_client.get("/staff/").status_code == 302, "the open session ended"
    (event,) = events("user.second_factor_reset")
    assert event.detail["requested_by_id"] == first_admin.id and event.actor == f"user:{second_admin.id}"

    again = app.test_client()
    token = csrf_token_from(again.get("/auth/login").get_data(as_text=True))
    signed = again.post("/auth/login", data={"csrf_token": token, "email": clerk.email, "password": DEFAULT_PASSWORD})
    assert signed.headers["Location"].endswith("/auth/second-factor/setup"), "a new one is set up at sign-in"


def test_the_account_itself_neither_confirms_nor_asks_and_a_request_lapses(app, admin, frozen_clock):
    _, first = admin
    other_admin = make_user(Role.administrator)
    other = client_for(app, other_admin)
    third_admin = make_user(Role.administrator)
    url = f"/admin/accounts/{other_admin.id}/second-factor-reset"
    assert post(first, url, {"reason": "紛失"}, page=url).status_code == 303
    reset = db.session.scalars(select(SecondFactorReset)).one()
    assert other.get(f"/admin/accounts/{other_admin.id}/second-factor-reset").status_code == 404
    self_confirm = post(other, f"/admin/second-factor-resets/{reset.id}/confirm", {}, page="/admin/accounts")
    assert self_confirm.status_code == 404, "the account's owner is not told of it"
    assert fresh(User, other_admin.id).totp_enabled

    frozen_clock.set(frozen_clock.current + timedelta(hours=24, minutes=1))
    third = client_for(app, third_admin)
    lapsed = post(third, f"/admin/second-factor-resets/{reset.id}/confirm", {}, page="/admin/accounts")
    assert lapsed.status_code == 303 and fresh(User, other_admin.id).totp_enabled
    assert "has expired" in third.get("/admin/accounts").get_data(as_text=True)


# --- Departments -------------------------------------------------------------------------------------------


def test_departments_are_created_and_renamed_with_unique_names(admin, department):
    _, client = admin
    page = "/admin/departments"
    assert post(client, page, {"name": " 国民年金課 "}, page=page).status_code == 303
    made = db.session.scalars(select(Department).where(Department.name == "国民年金課")).one()
    for name, message in (("介護保険課", "exists already"), ("  ", "Enter the department"), ("課" * 201, "Too long")):
        refused = post(client, page, {"name": name}, page=page)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    edit = f"/admin/departments/{made.id}"
    clash = post(client, f"{edit}/rename", {"rename-name": "介護保険課"}, page=edit)
    assert clash.status_code == 422 and "exists already" in clash.get_data(as_text=True)
    assert post(client, f"{edit}/rename", {"rename-name": "年金課"}, page=edit).status_code == 303
    assert fresh(Department, made.id).name == "年金課"
    assert events("department.created") and events("department.renamed")


def test_merging_moves_everything_that_points_at_the_department(admin, department):
    _, client = admin
    merged = Department(name="高齢者医療課")
    db.session.add(merged)
    db.session.flush()
    clerk = make_user(Role.department_staff, department=merged)
    consultation = make_consultation(department=merged)
    (item,) = make_items(consultation, make_user(Role.secretariat), "意見")
    assign([item], merged)
    invite(client, roles=[Role.department_staff.value], department_id=str(merged.id))
    transfer(client, make_user(Role.secretariat), roles=[Role.department_staff.value], department_id=str(merged.id))

    listing = client.get("/admin/departments").get_data(as_text=True)
    row = listing.split("高齢者医療課</th>")[1].split("</tr>")[0]
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "1", "1"], "staff, consultations, items"

    edit = f"/admin/departments/{merged.id}"
    itself = post(client, f"{edit}/merge", {"merge-into": str(merged.id)}, page=edit)
    assert itself.status_code == 422 and "cannot be merged into itself" in itself.get_data(as_text=True)
    unknown = post(client, f"{edit}/merge", {"merge-into": "99999"}, page=edit)
    assert unknown.status_code == 422
    done = post(client, f"{edit}/merge", {"merge-into": str(department.id)}, page=edit)
    assert done.status_code == 303

    merged_id = merged.id
    db.session.expire_all()
    assert db.session.get(Department, merged_id) is None
    assert db.session.get(User, clerk.id).department_id == department.id
    assert db.session.get(Consultation, consultation.id).department_id == department.id
    assert db.session.get(Item, item.id).department_id == department.id
    assert db.session.scalars(select(AccountInvitation)).one().department_id == department.id
    assert db.session.scalars(select(AccountTransfer)).one().kept_department_id == department.id
    (event,) = events("department.merged")
    assert event.detail["merged_name"] == "高齢者医療課" and event.detail["moved"]["users.department_id"] == 2


# --- The periodic review -----------------------------------------------------------------------------------


def test_the_review_lists_accounts_not_used_for_90_days(admin):
    _, client = admin
    long_ago = clock.now() - timedelta(days=91)
    dormant, never, recent = make_user(Role.secretariat), make_user(Role.member), make_user(Role.member)
    dormant.last_login_at = long_ago
    never.created_at = long_ago
    recent.last_login_at = clock.now() - timedelta(days=89)
    recent.created_at = long_ago
    db.session.flush()
    listed = client.get("/admin/accounts/review").get_data(as_text=True).split('id="dormant-accounts"')[1]
    listed = listed.split("</table>")[0]
    assert dormant.display_name in listed and never.display_name in listed
    assert recent.display_name not in listed


def test_every_new_page_is_linked_from_the_administrators_home(admin):
    _, client = admin
    other = make_user(Role.secretariat)
    home = client.get("/admin/accounts").get_data(as_text=True)
    for path in (
        "/admin/accounts/invite",
        "/admin/accounts/review",
        "/admin/departments",
        f"/admin/accounts/{other.id}",
    ):
        assert f'href="{path}"' in home, path
    account = client.get(f"/admin/accounts/{other.id}").get_data(as_text=True)
    for path in ("roles", "transfer", "second-factor-reset"):
        assert f'href="/admin/accounts/{other.id}/{path}"' in account, path


@pytest.mark.parametrize(("lang", "separator", "other"), [("ja", "、", ", "), ("en", ", ", "、")])
def test_an_accounts_roles_read_as_one_phrase_in_each_language(app, lang, separator, other):
    admin = make_user(Role.administrator)
    clerk = make_user(Role.secretariat, Role.department_staff)
    client = client_for(app, admin)
    client.set_cookie("lang", lang)
    page = client.get(f"/admin/accounts/{clerk.id}").get_data(as_text=True)
    roles = re.search(r'<dd id="account-roles">(.*?)</dd>', page, re.S).group(1)
    assert separator in roles
    assert other not in roles
