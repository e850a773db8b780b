"""The HTML a browser sees while signing in to an app: Canvas's login form, the "authorize this
app" page, and the out-of-band page that shows the code.

The field names are Canvas's (``app/views/login/canvas/_new_login_content.html.erb``:
``pseudonym_session[unique_id]``, ``pseudonym_session[password]``, the ``authenticity_token``
hidden input of Rails' forgery protection; ``app/views/oauth2_provider/_confirm_form.html.erb``:
"<app> is requesting access to your account.", a form ``oauth2_accept_form`` posted to
``/login/oauth2/accept`` and a Cancel link to ``/login/oauth2/deny``; ``auth.html.erb``: the
out-of-band page). Every value that came from a request or a name is escaped.
"""

from __future__ import annotations

from html import escape

LOGIN_FAILED = "Please verify your username or password and try again."


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>\n'
            f"<body>\n{body}\n</body></html>\n")


def login(csrf: str, *, unique_id: str = "", error: str | None = None) -> str:
    problem = f'<div class="error" role="alert">{escape(error)}</div>\n' if error else ""
    return _page("Log In to Canvas", f"""<h1>Log In to Canvas</h1>
{problem}<form id="login_form" action="/login/canvas" method="post">
<input type="hidden" name="authenticity_token" value="{escape(csrf)}">
<label for="pseudonym_session_unique_id">Email</label>
<input type="text" id="pseudonym_session_unique_id" name="pseudonym_session[unique_id]" value="{escape(unique_id)}">
<label for="pseudonym_session_password">Password</label>
<input type="password" id="pseudonym_session_password" name="pseudonym_session[password]">
<input type="hidden" name="pseudonym_session[remember_me]" value="0">
<button type="submit">Log In</button>
</form>""")


def confirm(csrf: str, *, app_name: str, user_name: str) -> str:
    return _page("Authorize", f"""<h1>{escape(app_name)} is requesting access to your account.</h1>
<p>You are authorizing this app as <strong>{escape(user_name)}</strong>.</p>
<form id="oauth2_accept_form" action="/login/oauth2/accept" method="post">
<input type="hidden" name="authenticity_token" value="{escape(csrf)}">
<button type="submit">Authorize</button>
</form>
<a id="oauth2_deny" href="/login/oauth2/deny">Cancel</a>""")


def out_of_band(code: str | None, error: str | None) -> str:
    """``GET /login/oauth2/auth?code=...``: where an ``oob`` redirect ends. Canvas's page says only
    its one sentence (the code is in the address bar, for the user to copy); the sandbox shows the
    code as well, so a person trying the paste-the-code way over SSH need not dig in the URL."""
    done = "The application has finished the login workflow, and should reactivate shortly."
    shown = f'<p id="error">{escape(error)}</p>' if error else f'<code id="code">{escape(code or "")}</code>'
    return _page("Authorization", f"<p>{done}</p>\n{shown}")


def signed_in(user_name: str) -> str:
    return _page("Canvas", f"<p>Logged in as {escape(user_name)}.</p>")
