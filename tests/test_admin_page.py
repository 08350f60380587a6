"""The admin page of a real server process: login, CSRF, enroll, revoke, audit log."""

from __future__ import annotations

import http.client
import re
import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from signaling_server.store import ConsultStore
from tests.support.consult import ConsultServer, free_port, signed_in
from ultrasound_consult.protocol.consult import Duty
from ultrasound_consult.session.presence import ConnectionLost

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(tmp_path) -> Iterator[tuple[ConsultServer, int]]:
    password = tmp_path / "admin.password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)
    port = free_port()
    log = tmp_path / "server.log"
    s = ConsultServer(
        extra_args=["--admin-port", str(port), "--admin-password-file", str(password)],
        log_file=log,
    ).start()
    yield s, port
    s.stop()
    assert PASSWORD not in log.read_text()


class Browser:
    def __init__(self, port: int, language: str = "") -> None:
        self.port = port
        self.language = language
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        origin: str | None = "self",
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.language:
            headers["Accept-Language"] = self.language
        if origin:
            headers["Origin"] = f"http://127.0.0.1:{self.port}" if origin == "self" else origin
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.text = response.read().decode()  # type: ignore[attr-defined]
        if cookie := response.getheader("Set-Cookie"):
            name, _, value = cookie.split(";")[0].partition("=")
            self.cookies[name] = value
        conn.close()
        return response

    def csrf(self) -> str:
        page = self.request("GET", "/")
        return re.search(r'name=csrf value="([^"]+)"', page.text).group(1)  # type: ignore[attr-defined, union-attr]


async def test_admin_page_login_enroll_revoke_and_audit(admin):
    server, port = admin
    b = Browser(port)
    # Nothing without a login.
    first = b.request("GET", "/")
    assert first.status == 303 and first.getheader("Location") == "/login"
    assert b.request("POST", "/enroll", {"kind": "station", "name": "X"}).status == 303
    wrong = b.request("POST", "/login", {"password": "guess"})
    assert wrong.status == 401 and not b.cookie
    ok = b.request("POST", "/login", {"password": PASSWORD})
    assert ok.status == 303 and "HttpOnly" in ok.getheader("Set-Cookie")
    assert "SameSite=Strict" in ok.getheader("Set-Cookie")
    page = b.request("GET", "/")
    assert page.status == 200 and "script-src" not in page.getheader("Content-Security-Policy")
    assert "default-src 'none'" in page.getheader("Content-Security-Policy")
    csrf = b.csrf()
    # A form without the token, or from another site, is refused.
    assert b.request("POST", "/enroll", {"kind": "station", "name": "X"}).status == 403
    evil = b.request(
        "POST",
        "/enroll",
        {"kind": "station", "name": "X", "csrf": csrf},
        origin="http://evil.example",
    )
    assert evil.status == 403
    # Enroll: the code (once) and its QR code; names are escaped.
    enrolled = b.request(
        "POST",
        "/enroll",
        {"kind": "expert", "name": "Dr. <b>Wang</b>", "specialty": "msk", "csrf": csrf},
    )
    assert enrolled.status == 200
    code = re.search(r"class=big>([0-9A-Z-]{14})<", enrolled.text).group(1)
    assert "data:image/png;base64," in enrolled.text and "<b>Wang</b>" not in enrolled.text
    from ultrasound_consult.session.presence import redeem

    credential = await redeem(server.url, code)
    assert credential.name == "Dr. <b>Wang</b>"
    bad = b.request("POST", "/enroll", {"kind": "expert", "name": "No Spec", "csrf": csrf})
    assert bad.status == 400 and "need a specialty" in bad.text
    # Revoke from the page: the live device is disconnected within a second or so.
    async with signed_in(credential, Duty.ON) as ex:
        revoked = b.request("POST", "/revoke", {"device": credential.device_id, "csrf": csrf})
        assert revoked.status == 303
        lost = await ex.next_event(lambda e: isinstance(e, ConnectionLost), timeout=5)
        assert lost.final
    store = ConsultStore(server.database)
    try:
        audit = [(a["action"], a["detail"]) for a in reversed(store.audit_log())]
        assert store.device(credential.device_id).revoked_at is not None
    finally:
        store.close()
    assert [a for a, _ in audit] == ["login_failed", "login", "enroll", "revoke"]
    assert credential.device_id in audit[3][1]
    text = b.request("GET", "/").text
    assert "revoked" in text and "login_failed" in text and code not in text
    out = b.request("POST", "/logout", {"csrf": csrf})
    assert out.status == 303
    assert b.request("GET", "/").status == 303


def test_admin_logins_are_rate_limited(admin):
    _server, port = admin
    b = Browser(port)
    for _ in range(5):
        assert b.request("POST", "/login", {"password": secrets.token_hex(8)}).status == 401
    assert b.request("POST", "/login", {"password": PASSWORD}).status == 429


def test_admin_page_needs_a_password_file_and_a_long_password(tmp_path):
    short = tmp_path / "short"
    short.write_text("hunter2")
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "signaling_server",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--admin-password-file",
            str(short),
            "--secret-file",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "12 characters" in out.stderr
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "signaling_server",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--secret-file",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "--admin-password-file" in out.stderr


def test_admin_page_in_chinese_and_english_looked_at(admin, qtbot, artifacts):
    """Both languages: a browser that prefers Chinese gets it; ?lang= switches and is
    remembered. Drawn by Qt's rich-text engine at 1366x768 to be looked at (no CSS
    floats there: the language link sits above the title instead of beside it)."""
    from PySide6.QtWidgets import QTextBrowser

    _server, port = admin
    chinese = Browser(port, language="zh-CN,zh;q=0.9,en;q=0.5")
    assert "密码" in chinese.request("GET", "/login").text
    b = Browser(port)
    assert "Password" in b.request("GET", "/login").text
    b.request("POST", "/login", {"password": PASSWORD})
    csrf = b.csrf()
    b.request("POST", "/enroll", {"kind": "station", "name": "Puzi clinic", "site": "puzi",
                                  "csrf": csrf})  # fmt: skip
    b.request("POST", "/enroll", {"kind": "expert", "name": "Dr. Wang", "specialty": "msk",
                                  "csrf": csrf})  # fmt: skip
    for lang, words in (("zh_CN", ("会诊记录", "登记设备", "扫查端")), ("en", ("Consult log",))):
        text = b.request("GET", f"/?lang={lang}").text
        assert all(w in text for w in words), lang
        assert b.cookies.get("uc_admin"), "the login survives the language choice"
        view = QTextBrowser()
        qtbot.addWidget(view)
        view.setHtml(text)
        view.resize(1366, 768)
        view.show()
        view.grab().save(str(artifacts / f"admin_page_{lang}_1366x768.png"))
    # Remembered: English until asked otherwise.
    assert "Consult log" in b.request("GET", "/").text
