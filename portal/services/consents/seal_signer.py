"""The seal's signer, with everything that does not change between documents prepared.

Prepared once per process, and again only when the seal file's path, modification time or
size changes: the key and certificates, loaded; the private key as a `cryptography` object
(pyHanko's SimpleSigner re-reads it from DER for every signature, and for RSA re-checks it:
~80 ms each time); the signing-certificate-v2 attribute, encoded once (pyHanko builds it
afresh, and asn1crypto re-encodes that new certificate reference every time an enclosing
structure is written: most of the time issue 8 measured); and the room reserved for the
signature (pyHanko otherwise makes a whole dry-run signature per document to size it).
Warm, a seal takes ~12 ms here; pyHanko's defaults took ~370 ms with the same RSA 3072 key.
"""

import functools
from types import SimpleNamespace

from ...config import ConfigurationError

DIGEST = "sha256"


class PreparedSeal:
    """A signer with everything that does not change between documents prepared."""

    def __init__(self, signer, bytes_reserved):
        self.signer = signer
        self.bytes_reserved = bytes_reserved

    @classmethod
    def load(cls, p12_bytes, password):
        """Open the PKCS#12 data and prepare its key and certificates for signing."""
        from asn1crypto import keys, x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        try:
            key, cert, others = pkcs12.load_key_and_certificates(
                p12_bytes, password.encode() if password else None)
        except ValueError as error:
            raise ConfigurationError(
                "The seal certificate (PORTAL_SEAL_P12) cannot be opened: the file is not a "
                "PKCS#12 file, or PORTAL_SEAL_PASSWORD is not its password.") from error
        if key is None or cert is None:
            raise ConfigurationError(
                "PORTAL_SEAL_P12 must hold the seal's private key and its certificate.")
        der = serialization.Encoding.DER
        key_info = keys.PrivateKeyInfo.load(key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        signing_cert = x509.Certificate.load(cert.public_bytes(der))
        registry = SimpleCertificateStore()
        registry.register_multiple([x509.Certificate.load(other.public_bytes(der))
                                    for other in others])
        prepared = prepared_classes()
        signer = prepared.Signer(signing_cert=signing_cert, signing_key=key_info,
                                 cert_registry=registry)
        signer.key_object = key
        signer.signed_attr_prov_spec = prepared.Attributes(signing_cert)
        # Room for the signature container, fixed once instead of estimated per document: the
        # certificates, twice the key's size for the signature, 1 KiB for the attributes and
        # framing; all twice over, for the hex encoding.
        certificates = sum(len(c.dump()) for c in {signing_cert, *registry})
        signature = 2 * getattr(key, "key_size", 4096) // 8
        return cls(signer, 2 * (certificates + signature + 1024))


@functools.cache
def prepared_classes():
    """The pyHanko subclasses the seal uses, defined on first use (pyHanko takes about a
    second to import, so the portal only pays for it when it seals or checks a PDF)."""
    return SimpleNamespace(Writer=_writer_class(), Signer=_signer_class(),
                           Attributes=_attributes_class())


def _attributes_class():
    from asn1crypto import tsp
    from pyhanko.sign import attributes
    from pyhanko.sign.general import as_signing_certificate_v2

    class EncodedAttribute(attributes.CMSAttributeProvider):
        """A signed attribute whose value was encoded once, ahead of every signature."""

        attribute_type = "signing_certificate_v2"

        def __init__(self, value):
            self.value = value

        async def build_attr_value(self, dry_run=False):
            return self.value

    class Attributes(attributes.SignedAttributeProviderSpec):
        """PAdES signed attributes: signing-certificate-v2 (pyHanko adds the content type and
        the message digest; PAdES forbids a signing-time attribute)."""

        def __init__(self, signing_cert):
            encoded = as_signing_certificate_v2(signing_cert, DIGEST).dump()
            self.provider = EncodedAttribute(tsp.SigningCertificateV2.load(encoded))

        def signed_attr_providers(self, data_digest, digest_algorithm):
            yield self.provider

    return Attributes


def _signer_class():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign import signers

    digests = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

    class Signer(signers.SimpleSigner):
        """SimpleSigner signing with `key_object`, made once, instead of a key re-read from
        DER (and, for RSA, re-checked) on every signature."""

        key_object = None

        def sign_raw(self, data, digest_algorithm):
            key = self.key_object
            algorithm = digests.get(digest_algorithm)
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if algorithm and mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), algorithm())
            if algorithm and mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(algorithm()))
            return super().sign_raw(data, digest_algorithm)

    return Signer


def _writer_class():
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class Writer(IncrementalPdfFileWriter):
        """An incremental writer that leaves the document's metadata as it was: pyHanko would
        set the XMP producer to itself and append itself to the information dictionary's
        producer, and PDF/A forbids the two to differ."""

        def _update_meta(self):
            return None

    return Writer
