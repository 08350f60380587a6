"""The consult service's admin page: devices, the consult log and monthly statistics
(read-only), enroll and revoke, behind a login, with an audit log of every action.

Off unless ``--admin-port`` is given; it listens on 127.0.0.1 unless ``--admin-host``
says otherwise (put TLS in front of it before that). The password comes from
``--admin-password-file`` (owner-only, 12 characters or more) and is kept in memory
only as a scrypt hash. A stdlib HTTP server on its own threads: the page is for one IT
person, and its database calls never touch the signalling event loop.

Against CSRF: the session cookie is ``HttpOnly; SameSite=Strict``, every form carries
the session's own token (checked in constant time), and a POST whose ``Origin`` (or
``Referer``) is not this page is refused. Everything shown is HTML-escaped; a strict
Content-Security-Policy forbids scripts altogether. Failed logins are rate-limited.
Passwords, codes and cookies never reach a log or the audit log.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import html
import logging
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from signaling_server.admin_words import LANGUAGES, language_of, words
from signaling_server.consult_log import monthly_statistics, session_rows
from signaling_server.enrollment import DEFAULT_CODE_TTL_S, DeviceKind, parse_specialties
from signaling_server.store import ConsultStore

logger = logging.getLogger(__name__)

SESSION_TTL_S = 8 * 3600.0
LOGIN_FAILURES_PER_MINUTE = 5
MAX_FORM_BYTES = 8 * 1024
#: The page's language, once chosen with ?lang= (not a secret, not HttpOnly).
LANG_COOKIE = "lang"
#: The page's words in its language (admin_words.py).
Words = Callable[[str], str]
COOKIE = "uc_admin"
MIN_PASSWORD_CHARS = 12

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class AdminConfigError(ValueError):
    pass


def read_admin_password(path: Path) -> bytes:
    """The password in ``path``, checked; :class:`AdminPage` keeps only its scrypt hash."""
    try:
        password = path.read_text().strip()
    except OSError as exc:
        raise AdminConfigError(f"cannot read the admin password: {exc}") from None
    if len(password) < MIN_PASSWORD_CHARS:
        raise AdminConfigError(
            f"{path}: the admin password must be {MIN_PASSWORD_CHARS} characters or more"
        )
    return password.encode()


class _Sessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, tuple[float, str]] = {}  # token -> (expires, csrf)

    def new(self, now: float) -> tuple[str, str]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._by_token = {t: v for t, v in self._by_token.items() if v[0] > now}
            self._by_token[token] = (now + SESSION_TTL_S, csrf)
        return token, csrf

    def csrf_of(self, token: str | None, now: float) -> str | None:
        if not token:
            return None
        with self._lock:
            entry = self._by_token.get(token)
        if entry is None or entry[0] <= now:
            return None
        return entry[1]

    def end(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)


class AdminPage:
    def __init__(
        self, store: ConsultStore, password: bytes, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.store = store
        self._salt = secrets.token_bytes(16)
        self._hash = self._scrypt(password)
        self.sessions = _Sessions()
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._failures_lock = threading.Lock()
        page = self

        class Handler(_Handler):
            admin = page

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="admin-page", daemon=True
        )

    def _scrypt(self, password: bytes) -> bytes:
        return hashlib.scrypt(password, salt=self._salt, n=2**14, r=8, p=1)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def password_ok(self, given: str) -> bool:
        return hmac.compare_digest(self._scrypt(given.encode()), self._hash)

    def login_blocked(self, address: str, now: float) -> bool:
        with self._failures_lock:
            q = self._failures[address]
            while q and now - q[0] > 60:
                q.popleft()
            return len(q) >= LOGIN_FAILURES_PER_MINUTE

    def login_failed(self, address: str, now: float) -> None:
        with self._failures_lock:
            self._failures[address].append(now)


class _Handler(BaseHTTPRequestHandler):
    admin: AdminPage
    server_version = "ultrasound-consult-admin"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # The request line only (never a cookie or a form), at DEBUG.
        logger.debug("admin page: %s %s", self.address_string(), format % args)

    # --- plumbing -------------------------------------------------------------------

    def _address(self) -> str:
        return str(self.client_address[0])

    def _token(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def _language(self) -> str:
        """The page's language, from ``?lang=``, the remembered choice or the browser."""
        query = parse_qs(urlsplit(self.path).query).get("lang", [None])[0]
        morsel = SimpleCookie(self.headers.get("Cookie", "")).get(LANG_COOKIE)
        remembered = morsel.value if morsel else None
        lang = language_of(query, remembered, self.headers.get("Accept-Language", ""))
        self.t = words(lang)
        self.lang = lang
        if query in LANGUAGES:
            self._extra_headers["Set-Cookie"] = f"{LANG_COOKIE}={lang}; SameSite=Strict; Path=/"
        return lang

    def _send(
        self, status: HTTPStatus, body: str, *, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode()
        self.send_response(status)
        for k, v in {**HEADERS, **self._extra_headers, **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, where: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        for k, v in {**HEADERS, "Location": where, **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _form(self) -> dict[str, str] | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if not 0 <= length <= MAX_FORM_BYTES:
            return None
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return None
        raw = self.rfile.read(length).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _same_origin(self) -> bool:
        """A POST from this page: its Origin (or Referer) names this host and port."""
        source = self.headers.get("Origin") or self.headers.get("Referer")
        if not source:
            return False
        host = self.headers.get("Host", "")
        return urlsplit(source).netloc == host and bool(host)

    # --- routes ---------------------------------------------------------------------

    def do_GET(self) -> None:
        self._extra_headers: dict[str, str] = {}
        self._language()
        t, lang = self.t, self.lang
        path = urlsplit(self.path).path
        now = time.time()
        csrf = self.admin.sessions.csrf_of(self._token(), now)
        if path == "/login":
            self._send(HTTPStatus.OK, login_page(t, lang))
            return
        if path != "/":
            self._send(HTTPStatus.NOT_FOUND, page(t, lang, t("Not found."), ""))
            return
        if csrf is None:
            self._redirect("/login")
            return
        self._send(HTTPStatus.OK, dashboard(self.admin.store, csrf, t, lang))

    def do_POST(self) -> None:
        self._extra_headers = {}
        self._language()
        t, lang = self.t, self.lang
        path = urlsplit(self.path).path
        now = time.time()
        address = self._address()
        if not self._same_origin():
            self._send(HTTPStatus.FORBIDDEN, refused(t, lang, "Cross-site request refused."))
            return
        form = self._form()
        if form is None:
            self._send(HTTPStatus.BAD_REQUEST, refused(t, lang, "Malformed form."))
            return
        if path == "/login":
            self._login(form, address, now)
            return
        token = self._token()
        csrf = self.admin.sessions.csrf_of(token, now)
        if csrf is None:
            self._redirect("/login")
            return
        if not hmac.compare_digest(form.get("csrf", "").encode(), csrf.encode()):
            self._send(HTTPStatus.FORBIDDEN, refused(t, lang, "Stale or forged form."))
            return
        store = self.admin.store
        if path == "/logout":
            self.admin.sessions.end(token)
            store.audit(address, "logout")
            self._redirect("/login", {"Set-Cookie": f"{COOKIE}=; Max-Age=0; Path=/"})
        elif path == "/revoke":
            device = store.device(form.get("device", ""))
            if device is None:
                self._send(HTTPStatus.BAD_REQUEST, refused(t, lang, "No such device."))
                return
            store.revoke(device.id)
            store.audit(address, "revoke", f"{device.kind.value} {device.id} {device.name}")
            self._redirect("/")
        elif path == "/enroll":
            self._enroll(form, address, csrf)
        else:
            self._send(HTTPStatus.NOT_FOUND, page(t, lang, t("Not found."), ""))

    def _login(self, form: dict[str, str], address: str, now: float) -> None:
        if self.admin.login_blocked(address, now):
            self.admin.store.audit(address, "login_blocked")
            self._send(
                HTTPStatus.TOO_MANY_REQUESTS,
                login_page(self.t, self.lang, "Too many failed logins from here; wait a minute."),
            )
            return
        if not self.admin.password_ok(form.get("password", "")):
            self.admin.login_failed(address, now)
            self.admin.store.audit(address, "login_failed")
            self._send(HTTPStatus.UNAUTHORIZED, login_page(self.t, self.lang, "Wrong password."))
            return
        token, _csrf = self.admin.sessions.new(now)
        self.admin.store.audit(address, "login")
        cookie = (
            f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={int(SESSION_TTL_S)}"
        )
        self._redirect("/", {"Set-Cookie": cookie})

    def _enroll(self, form: dict[str, str], address: str, csrf: str) -> None:
        import segno

        try:
            kind = DeviceKind(form.get("kind", ""))
            name = form.get("name", "").strip()
            if not 0 < len(name) <= 64 or not name.isprintable():
                raise ValueError("a name is 1-64 printable characters")
            site = form.get("site", "").strip()[:64]
            specialties = parse_specialties(form.get("specialty", ""))
            if kind in (DeviceKind.EXPERT, DeviceKind.TRAINER) and not specialties:
                raise ValueError("experts and trainers need a specialty")
        except ValueError as exc:
            body = f"<p class=err>{esc(self.t('Not enrolled: {why}').format(why=exc))}</p>"
            page_ = dashboard(self.admin.store, csrf, self.t, self.lang, notice=body)
            self._send(HTTPStatus.BAD_REQUEST, page_)
            return
        enrollment = self.admin.store.enroll(
            kind, name, site=site, specialties=specialties, ttl_s=DEFAULT_CODE_TTL_S
        )
        self.admin.store.audit(address, "enroll", f"{kind.value} {enrollment.device.id} {name}")
        qr = segno.make(enrollment.code, error="m").png_data_uri(scale=6, border=4)
        until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(enrollment.expires_at))
        t = self.t
        said = t("Enrollment code for {kind} {name} (shown once, valid until {until}):").format(
            kind=t(kind.value), name=name, until=until
        )
        notice = (
            f"<div class=code><p>{esc(said)}</p><p class=big>{esc(enrollment.code)}</p>"
            f'<img alt="QR code" src="{qr}"></div>'
        )
        self._send(HTTPStatus.OK, dashboard(self.admin.store, csrf, t, self.lang, notice=notice))


# --- HTML -----------------------------------------------------------------------------


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


STYLE = """
body{font-family:sans-serif;margin:1.5em;max-width:80em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.25em .5em}
th{background:#eee;text-align:left}.err{color:#a00}.code{border:2px solid #070;padding:1em}
.big{font-size:2em;font-family:monospace}form.inline{display:inline}.lang{float:right}
"""


def page(t: Words, lang: str, title: str, body: str) -> str:
    other = "zh_CN" if lang == "en" else "en"
    label = "中文" if other == "zh_CN" else "English"
    switch = f"<p class=lang><a href='?lang={other}'>{esc(label)}</a></p>"
    return (
        f"<!doctype html><html lang={'zh-CN' if lang == 'zh_CN' else 'en'}><head>"
        f"<meta charset=utf-8><title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body>{switch}<h1>{esc(title)}</h1>{body}</body></html>"
    )


def refused(t: Words, lang: str, why: str) -> str:
    return page(t, lang, t("Refused"), f"<p>{esc(t(why))}</p>")


def login_page(t: Words, lang: str, message: str = "") -> str:
    err = f"<p class=err>{esc(t(message))}</p>" if message else ""
    return page(
        t,
        lang,
        t("Ultrasound consult: administration"),
        f"{err}<form method=post action=/login><label>{esc(t('Password'))} "
        "<input type=password name=password autocomplete=current-password autofocus></label> "
        f"<button>{esc(t('Log in'))}</button></form>",
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """``headers`` as given (already in the page's language); cells already escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def dashboard(store: ConsultStore, csrf: str, t: Words, lang: str, *, notice: str = "") -> str:
    token = f'<input type=hidden name=csrf value="{esc(csrf)}">'
    devices = []
    for d in store.devices():
        state = t("revoked" if d.revoked_at else ("enrolled" if d.enrolled_at else "code issued"))
        action = (
            ""
            if d.revoked_at
            else f"<form class=inline method=post action=/revoke>{token}"
            f'<input type=hidden name=device value="{esc(d.id)}">'
            f"<button>{esc(t('Revoke'))}</button></form>"
        )
        devices.append(
            [
                esc(d.id),
                esc(t(d.kind.value)),
                esc(d.name),
                esc(d.site),
                esc(", ".join(d.specialties)),
                esc(state),
                action,
            ]
        )
    today = time.gmtime()
    since = calendar.timegm((today.tm_year - 1, today.tm_mon, 1, 0, 0, 0, 0, 0, 0))
    rows = session_rows(store, since)
    log = [
        [
            esc(time.strftime("%Y-%m-%d %H:%M", time.gmtime(r["requested_at"]))),
            esc(r["kind"]),
            esc(r["site"]),
            esc(r["station"]),
            esc(r["experts"]),
            esc(r["trainees"]),
            esc(r["duration_s"]),
            esc(r["outcome"]),
            esc(t("yes")) if r["recorded"] else "",
        ]
        for r in rows[-200:]
    ]
    stats = monthly_statistics(rows)
    per_site = [[esc(v) for v in r.values()] for r in stats["per site"]]
    per_expert = [[esc(v) for v in r.values()] for r in stats["per expert"]]
    audit = [
        [
            esc(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(a["at"]))),
            esc(a["address"]),
            esc(a["action"]),
            esc(a["detail"]),
        ]
        for a in store.audit_log(100)
    ]
    kinds = "".join(f"<option value={k.value}>{esc(t(k.value))}</option>" for k in DeviceKind)
    body = (
        f"{notice}"
        f"<form method=post action=/logout>{token}<button>{esc(t('Log out'))}</button></form>"
        f"<h2>{esc(t('Enroll a device'))}</h2>"
        f"<form method=post action=/enroll>{token}<select name=kind>{kinds}</select> "
        f"<input name=name placeholder='{esc(t('Name'))}' required maxlength=64> "
        f"<input name=site placeholder='{esc(t('Site'))}' maxlength=64> "
        "<input name=specialty placeholder='msk,cardiac' maxlength=200> "
        f"<button>{esc(t('Enroll'))}</button></form>"
        f"<h2>{esc(t('Devices'))}</h2>"
        + _table(heads(t, "id", "kind", "name", "site", "specialties", "state", ""), devices)
        + f"<h2>{esc(t('Monthly statistics per site'))}</h2>"
        + _table(heads(t, *(stats["per site"][0] if per_site else ["month"])), per_site)
        + f"<h2>{esc(t('Monthly statistics per expert'))}</h2>"
        + _table(heads(t, *(stats["per expert"][0] if per_expert else ["month"])), per_expert)
        + f"<h2>{esc(t('Consult log (last 12 months)'))}</h2>"
        + _table(
            heads(
                t,
                "requested",
                "type",
                "site",
                "station",
                "experts",
                "trainees",
                "seconds",
                "outcome",
                "recorded",
            ),
            log,
        )
        + f"<h2>{esc(t('Audit log'))}</h2>"
        + _table(heads(t, "when (UTC)", "from", "action", "detail"), audit)
    )
    return page(t, lang, t("Ultrasound consult: administration"), body)


def heads(t: Words, *names: str) -> list[str]:
    return [t(n) for n in names]
