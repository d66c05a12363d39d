"""A password change revokes the login's API tokens (SPEC R46).

Django calls ``password_changed(password, user)`` on every configured password validator
from ``AbstractBaseUser.save()`` after ``set_password()``: the customer portal's password
page, the admin's own and other-user password forms, ``manage.py changepassword`` and any
future path all end there. Hooking that one documented seam, rather than each view, means a
new way to change a password cannot forget the tokens. (A re-hash on login after a hasher
upgrade is not a change: Django clears the raw password before that save.)
"""


class RevokeApiTokensOnPasswordChange:
    """Listed in ``AUTH_PASSWORD_VALIDATORS``; accepts every password."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            from accounts.tokens import api_tokens_revoke_all  # the models are loaded by the time a password changes

            api_tokens_revoke_all(user=user)

    def get_help_text(self):
        return "Changing the password revokes the API tokens of this login."
