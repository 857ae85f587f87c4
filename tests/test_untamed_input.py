"""Nothing a client sends reaches a log, a file or a mail untamed; the app answers only for its own host;
erased means erased, on disk too. Each test here failed on the code before its fix."""

import csv
import io
import os
import re
import secrets
import socket
import stat
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking import create_app
from booking.access_log import escaped
from booking.extensions import db
from booking.models import ConsultationRequest
from tests.conftest import free_port, open_form, valid_answers
from tests.factories import make_practitioner, make_request
from tests.fixtures.servers import process_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
INVISIBLE = "This answer contains invisible formatting characters"


# --- CSV export ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Ann;=SUM(1+1)", "Ann|@SUM(1)", "＝SUM(1+1)", "﹢SUM(1)", "Ann; －1+2", "\t=1"])
def test_csv_quotes_every_field_and_neutralises_formulas_at_the_start_of_any_cell(app, boss, name):
    with app.app_context():
        make_request(name=name)
    text = boss.get("/staff/export.csv").get_data(as_text=True)
    for line in text.strip().split("\r\n"):
        assert line.startswith('"') and line.endswith('"')  # every field quoted
    for separator in [",", ";", "|", "\t"]:  # however a spreadsheet splits the line, no cell is a formula
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            for cell in row:
                first = cell.lstrip(' "')[:1]
                assert first not in "=+-@＝＋－＠﹢﹣﹦﹫" or first == "", (separator, cell)


# --- Query parameters parsed defensively ---------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "1" * 400, "٣", "-1", "1e9", "0x1", " 1"])
def test_an_odd_practitioner_parameter_never_answers_500(app, value):
    with app.app_context():
        make_practitioner()
    client = app.test_client()
    assert client.get("/consultation", query_string={"practitioner": value}).status_code == 200
    form = {**open_form(client), **valid_answers(practitioner=value, slot="none")}
    assert client.post("/consultation", data=form).status_code in (200, 303)


# --- Names and free text: NFC, no invisible format characters -------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("name", "Maria\u202eLopez"), ("name", "Maria\u2028Lopez"), ("name", "Maria\u0085Lopez"),
    ("name", "\u200bMaria"), ("description", "Heel pain\u2066 every morning"), ("condition_other", "x\u202ey"),
])
def test_invisible_format_characters_are_refused_with_the_other_answers_kept(app, field, value):
    client = app.test_client()
    changes = {field: value}
    if field == "condition_other":
        changes["condition"] = "other"
    page = client.post("/consultation", data={**open_form(client), **valid_answers(**changes)})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and INVISIBLE in text
    assert "maria@example.org" in text and "(541) 555-0123" in text  # the rest comes back
    with app.app_context():
        assert db.session.execute(db.select(ConsultationRequest)).first() is None


def test_names_are_stored_in_nfc_and_joiners_that_scripts_need_are_kept(app):
    client = app.test_client()
    decomposed = "Jose\u0301 Lo\u0301pez"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a zero-width non-joiner inside a word
    for name, email in [(decomposed, "jose@example.org"), (persian, "p@example.org")]:
        sent = client.post("/consultation", data={**open_form(client), **valid_answers(name=name, email=email)})
        assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    with app.app_context():
        names = set(db.session.execute(db.select(ConsultationRequest.name)).scalars())
    assert names == {"Jos\u00e9 L\u00f3pez", persian}


# --- Hosts ---------------------------------------------------------------------------------------------

@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKING_ENV", "production")
    app = create_app({"SECRET_KEY": secrets.token_hex(32), "MAIL_SERVER": "relay.clinic.example",
                      "MAIL_USE_TLS": True, "PUBLIC_BASE_URL": "https://clinic.example",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "MAIL_FILE_DIR": str(tmp_path / "mail")})
    return app


def test_production_answers_only_for_its_own_host(production):
    client = production.test_client()
    for path in ["/", "/es", "/consultation", "/healthz"]:
        forged = client.get(path, base_url="https://evil.example")
        assert forged.status_code == 400, path
        assert "evil.example" not in forged.headers.get("Location", "")
    client.get("/", base_url="https://clinic.example")  # a kept page is still refused to a stranger host
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert client.get("/es", base_url="https://clinic.example").headers["Location"] == "https://clinic.example/es/"


def test_redirects_are_built_on_public_base_url_not_the_host_header(make_app):
    app = make_app(PUBLIC_BASE_URL="https://book.clinic.example")
    response = app.test_client().get("/es", headers={"Host": "evil.example"})
    assert response.status_code in (301, 302, 303, 307, 308)
    assert response.headers["Location"] == "https://book.clinic.example/es/"


# --- Erased means erased, on disk ----------------------------------------------------------------------

def test_the_database_and_its_side_files_are_the_app_users_alone(make_app, tmp_path):
    old = os.umask(0o022)
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        client = app.test_client()
        assert client.post("/consultation", data={**open_form(client), **valid_answers()}).status_code == 303
    finally:
        os.umask(old)
    files = [tmp_path / name for name in ("fresh.sqlite3", "fresh.sqlite3-wal", "fresh.sqlite3-shm")]
    assert all(path.exists() for path in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def _instance_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_after_an_erase_no_file_in_the_instance_folder_holds_the_patients_details(make_app, tmp_path, runner):
    app = make_app(MAIL_SERVER="")  # file mail: .eml copies in the instance folder too
    from tests.factories import make_staff
    from tests.fixtures.staff import log_in

    with app.app_context():
        make_staff("boss@clinic.test", is_admin=True)
    patient = app.test_client()
    name, email = "Zephyrine Quillfeather", "zephyrine.q@example.org"
    assert patient.post("/consultation", data={**open_form(patient), **valid_answers(name=name, email=email)}
                        ).status_code == 303
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    with app.app_context():
        reference = db.session.execute(db.select(ConsultationRequest.reference)).scalar_one()
    needles = [name.encode(), email.encode(), reference.encode()]
    assert any(n in path.read_bytes() for path in _instance_files(tmp_path) for n in needles)  # there before

    boss = app.test_client()
    assert log_in(boss, "boss@clinic.test").status_code == 303
    page = f"/staff/requests/{reference}"
    assert boss.post_form(f"{page}/erase", {"confirm_reference": reference}, page=page).status_code == 303
    for path in _instance_files(tmp_path):
        content = path.read_bytes()
        for needle in needles + [name.encode("utf-16-le")]:
            assert needle not in content, (path.name, needle)


# --- The access log -----------------------------------------------------------------------------------

def test_the_access_log_escapes_what_the_client_sent(tmp_path):
    """gunicorn as `make run` starts it (reading ./gunicorn.conf.py), with the Makefile's access log format."""
    log = tmp_path / "access.log"
    port = free_port()
    env = process_env(BOOKING_ENV="development", INSTANCE_PATH=tmp_path / "instance", OUTBOX_WORKER="off")
    makefile = (ROOT / "Makefile").read_text()
    access_format = re.search(r"^ACCESS_LOG_FORMAT := '(.*)'$", makefile, re.M).group(1)
    server, _ = start_gunicorn(env, "--access-logfile", str(log), "--access-logformat", access_format, port=port)
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until gunicorn listens; only then send the one request
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(b"GET /x%0a10.9.9.9%20-%20[01/Jan/2027]%20%22GET%20/staff%22%20200%1b[31m HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert conn.recv(65536).startswith(b"HTTP/1.1 404")
        deadline = time.monotonic() + 10
        while not log.exists() or not log.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop(server)
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    assert "/x\\x0a10.9.9.9 - [01/Jan/2027] \\\"GET /staff\\\" 200\\x1b[31m" in lines[0]
    assert "\x1b" not in lines[0]


def escaped_char_by_char(value: str) -> str:
    """The rule, one character at a time: what escaped() must write."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch)[0] in "CZ" and ch != " ":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("value, written", [
    ("/consultation", "/consultation"),
    ("/x\n10.9.9.9", "/x\\x0a10.9.9.9"),
    ("a\\b", "a\\\\b"),
    ("\x1b[31m", "\\x1b[31m"),
    ("/es/consulta ó", "/es/consulta ó"),  # printable beyond ASCII stays as it is
    ("a\u2028b\u00a0c\u200bd", "a\\u2028b\\xa0c\\u200bd"),  # line separator, no-break space, zero width
    ("\x7f\x85", "\\x7f\\x85"),
])
def test_the_access_log_escapes_controls_separators_and_backslashes(value, written):
    assert escaped(value) == written


@given(st.text())
def test_the_access_log_escapes_any_text_by_the_per_character_rule(value):
    assert escaped(value) == escaped_char_by_char(value)


@pytest.mark.parametrize("unit", ["booking-web.service", "booking-mail.service"])
def test_the_systemd_units_create_files_for_the_app_user_alone(unit):
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "deploy" / unit)
    assert parser["Service"]["UMask"] == "0077"
