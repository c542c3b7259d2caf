"""Self-signed certificate authorities and digital signatures for the demo and the tests (pyHanko).

One place for the PKI that signs demo plans and test PDFs: a CA, one signer certificate it issued,
and ``sign_pdf`` (pyHanko ``SimpleSigner``). Keys are made in memory, once per (signer, CA) per
process, never written anywhere; put ``Pki.ca_pem`` in the trust folder to make the signatures
trusted. pyHanko's signer calls ``asyncio.run``: don't sign from inside a running event loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
from typing import NamedTuple

DEMO_CA = "Demo CA Thi đua Lam Sơn"
DEMO_CA_ORG = "Ban Thi đua - Khen thưởng tỉnh Lam Sơn (demo)"


class Pki(NamedTuple):
    """A CA and one signer it certified (cryptography objects; ``ca_pem`` for trust folders)."""

    ca_cert: object
    ca_pem: bytes
    signer_cert: object
    signer_key: object


def _name(cn: str, org: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, unicodedata.normalize("NFC", cn)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unicodedata.normalize("NFC", org)),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )


def _usage(*, sign_certs: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True, content_commitment=not sign_certs, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs,
        crl_sign=sign_certs, encipher_only=False, decipher_only=False,
    )  # fmt: skip


@functools.cache
def make_pki(signer_cn: str, signer_org: str, *, ca_cn: str = DEMO_CA, ca_org: str = DEMO_CA_ORG) -> Pki:
    """A fresh CA ``ca_cn`` and a signer certificate ``signer_cn / signer_org``, made once per arguments.

    Valid from three years back (the demo's signed plans go back to 2024) to ten years ahead.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start, end = now - dt.timedelta(days=3 * 366), now + dt.timedelta(days=3650)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name(ca_cn, ca_org)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_cn, signer_org))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Pki(ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), cert, key)


def sign_pdf(data: bytes, pki: Pki, *, field_name: str = "ChuKy1", reason: str = "Phê duyệt",
             location: str = "Lam Sơn") -> bytes:
    """``data`` with one more signature (an incremental update) by ``pki``'s signer."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(pki.signer_cert.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            pki.signer_key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(pki.ca_cert.public_bytes(der))]),
    )
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer).getvalue()
