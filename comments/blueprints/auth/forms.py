"""Sign-in forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(message=_l("Enter your e-mail address."))])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=128, message=_l("Too long."))],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[DataRequired(message=_l("Enter the 6-digit code.")), Length(max=12, message=_l("Too long."))],
    )


class PasswordConfirmForm(FlaskForm):
    """The password entered again before something that needs a recent sign-in (R27)."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=128, message=_l("Too long."))],
    )


class LogoutForm(FlaskForm):
    """Logging out is a POST with a CSRF token, so no other site can log a person out."""


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(message=_l("Enter your e-mail address."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a new password.")), Length(max=128, message=_l("Too long."))],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )
