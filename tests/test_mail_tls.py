"""Mail to the relay over STARTTLS goes only to a server whose certificate the app trusts (MAIL_CA_FILE)."""

import datetime
import ipaddress

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from booking.extensions import db
from booking.models import Notification
from booking.outbox.delivery import deliver_due
from tests.factories import make_request
from tests.fixtures.smtp import SmtpRecorder, free_port


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(subject, subject_key, issuer, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = (
            builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def clinic_ca(tmp_path):
    """A private CA, as a clinic's internal relay would use, and the relay's certificate it signed."""
    ca_key, relay_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue(_name("Clinic test CA"), ca_key, _name("Clinic test CA"), ca_key, ca=True)
    relay_cert = _issue(_name("127.0.0.1"), relay_key, ca_cert.subject, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (tmp_path / "relay.pem").write_bytes(relay_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    (tmp_path / "relay.key").write_bytes(relay_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path


@pytest.fixture
def starttls_relay(clinic_ca):
    """A real SMTP server on loopback that refuses mail until the client has started TLS."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(clinic_ca / "relay.pem", clinic_ca / "relay.key")
    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True)
    controller.start()
    yield controller, handler
    controller.stop()


def _deliver(app):
    with app.app_context():
        make_request()
        report = deliver_due()
        rows = db.session.execute(db.select(Notification)).scalars().all()
        return report, [(row.status, row.last_error) for row in rows]


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(make_app, starttls_relay):
    controller, handler = starttls_relay
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True)
    report, rows = _deliver(app)
    assert handler.messages == [] and len(report.failed) == 2
    for status, error in rows:
        assert status == "pending"
        assert "CERTIFICATE_VERIFY_FAILED" in error  # the outbox page says why, and it is retried later


def test_a_relay_signed_by_the_ca_in_mail_ca_file_gets_the_mail(make_app, starttls_relay, clinic_ca):
    controller, handler = starttls_relay
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True,
                   MAIL_CA_FILE=str(clinic_ca / "ca.pem"))
    report, rows = _deliver(app)
    assert len(report.sent) == 2 and len(handler.messages) == 2
    assert [status for status, _ in rows] == ["sent", "sent"]


def test_without_starttls_the_relay_refuses_the_mail(make_app, starttls_relay, clinic_ca):
    """The relay really demands TLS, so the delivery above proves the mail went inside it."""
    controller, handler = starttls_relay
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    report, _ = _deliver(app)
    assert handler.messages == [] and report.sent == []


@pytest.mark.parametrize("trusted", [False, True])
def test_smtp_over_ssl_checks_the_certificate_too(make_app, clinic_ca, trusted):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(clinic_ca / "relay.pem", clinic_ca / "relay.key")
    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_SSL=True,
                       MAIL_CA_FILE=str(clinic_ca / "ca.pem") if trusted else None)
        report, rows = _deliver(app)
    finally:
        controller.stop()
    assert len(handler.messages) == (2 if trusted else 0)
    assert [status for status, _ in rows] == (["sent"] * 2 if trusted else ["pending"] * 2)
