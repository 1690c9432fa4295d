"""The SAML sandbox's protocol, by pysaml2's identity provider (saml2.server.Server): its
metadata, the single sign-on endpoint, and the faults it can act.

An AuthnRequest comes by the HTTP-Redirect binding, and the answer goes back by HTTP-POST, a
form the browser posts to the service provider's assertion consumer service: what
django-allauth's SAML provider speaks. The signing key and its certificate are made at
start-up. A refused request is answered with a 400 page naming the problem, never posted back:
an unknown service provider's address must not be sent anything.
"""

from __future__ import annotations

import datetime
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import create_metadata_string, entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from convai_dashboard.sandbox.responses import HTML_TYPE, Response, html_response
from convai_dashboard.sandbox.saml_pages import refusal_page, sign_in_page
from convai_dashboard.sandbox.saml_users import SamlUser, ServiceProvider

# Each makes the answer fail one check a service provider must make; email_name_id, one the
# dashboard makes (users are matched by a persistent NameID, never by an e-mail address).
SAML_FAULTS = (
    "bad_signature",
    "wrong_audience",
    "expired",
    "unknown_issuer",
    "replayed_response",
    "unsigned_assertion",
    "email_name_id",
)

ASSERTION_LIFETIME_MINUTES = 5
# A second service provider registered here, that the wrong_audience fault's assertions are for.
ANOTHER_SP = "urn:example:another-application"
XMLSEC1 = "/usr/bin/xmlsec1"
_PASSWORD_CONTEXT = {"class_ref": saml.AUTHN_PASSWORD_PROTECTED}


@dataclass(frozen=True)
class SamlRequest:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]  # the query string of a GET, the form body of a POST


class _Refused(Exception):
    """An authentication request refused with a 400 page."""


class SamlProvider:
    """The endpoints' answers. Thread-safe: the server calls answer() from a thread a request.

    Each kind of answer is made by a pysaml2 server configured for it: the published key and
    metadata, or (for the faults that a configuration makes) another key, another entity id,
    or a lifetime already over."""

    def __init__(self, users: Sequence[SamlUser], sp: ServiceProvider) -> None:
        self.fault: str | None = None
        self.users = tuple(users)
        self.sp = sp
        self._users_by_name = {user.username: user for user in self.users}
        self._files = tempfile.TemporaryDirectory(prefix="saml-sandbox-")
        self._lock = threading.Lock()
        self._last_answer: str | None = None
        self._servers: dict[str | None, Server] = {}
        self.url = ""
        self.certificate = ""  # the published one, PEM

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    def start(self, url: str) -> None:
        """Makes the keys and the servers, once the server knows its URL (its entity id)."""
        if not Path(XMLSEC1).exists():
            raise RuntimeError(f"pysaml2 signs with {XMLSEC1}: apt-get install xmlsec1")
        self.url = url
        key_dir = Path(self._files.name)
        published = _key_pair(key_dir, "idp", url)
        self.certificate = published[1].read_text()
        stray = _key_pair(key_dir, "stray", url)
        self._servers = {
            None: self._server(published),
            "bad_signature": self._server(stray),
            "unknown_issuer": self._server(published, entity_id=f"{self.url}/unknown"),
            "expired": self._server(published, lifetime_minutes=-ASSERTION_LIFETIME_MINUTES),
        }

    def close(self) -> None:
        self._files.cleanup()

    def reset(self) -> None:
        with self._lock:
            self.fault = None
            self._last_answer = None

    def metadata(self) -> str:
        return create_metadata_string(None, config=self._servers[None].config).decode()

    def answer(self, request: SamlRequest) -> Response:
        if (request.method, request.path) == ("GET", "/metadata"):
            return Response(200, self.metadata().encode(), "application/samlmetadata+xml")
        if request.path == "/sso" and request.method in ("GET", "POST"):
            try:
                return self._sso(request)
            except _Refused as refusal:
                return html_response(400, refusal_page(str(refusal)))
        return html_response(404, refusal_page(f"Nothing is served at {request.path}."))

    def _sso(self, request: SamlRequest) -> Response:
        params = dict(request.params)
        saml_request = params.get("SAMLRequest", "")
        relay_state = params.get("RelayState", "")
        server = self._servers[None]
        try:
            parsed = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        except Exception as error:
            # pysaml2 raises many kinds (base64, zlib, XML, schema, unknown issuer): each means
            # the request is not one to answer.
            raise _Refused(f"The SAMLRequest cannot be read: {error}") from None
        authn_request = parsed.message
        if authn_request.issuer is None or authn_request.issuer.text != self.sp.entity_id:
            raise _Refused("The AuthnRequest comes from a service provider not registered here.")
        try:
            # The assertion consumer service the request names, if the metadata lists it.
            destination = server.response_args(authn_request, [BINDING_HTTP_POST])["destination"]
        except Exception as error:
            raise _Refused(f"The AuthnRequest names no registered address: {error}") from None
        if request.method == "GET":
            fields = {"SAMLRequest": saml_request, "RelayState": relay_state}
            return html_response(200, sign_in_page(self.users, fields))
        username = params.get("username", "")
        user = self._users_by_name.get(username)
        if user is None:
            raise _Refused(f"There is no user {username!r} to sign in as.")
        answer = self._authn_response(authn_request.id, destination, user)
        with self._lock:
            previous, self._last_answer = self._last_answer, answer
        if self.fault == "replayed_response":
            # The answer to the sign-in before this one, sent again; with none yet, an answer to
            # a request this service provider never made fails alike.
            answer = previous or self._authn_response(f"_{uuid.uuid4().hex}", destination, user)
        form = server.apply_binding(
            BINDING_HTTP_POST, answer, destination, relay_state, response=True
        )
        return Response(200, form["data"].encode(), HTML_TYPE, (("Cache-Control", "no-store"),))

    def _authn_response(self, in_response_to: str, destination: str, user: SamlUser) -> str:
        fault = self.fault
        server = self._servers.get(fault, self._servers[None])
        audience = ANOTHER_SP if fault == "wrong_audience" else self.sp.entity_id
        response = server.create_authn_response(
            identity=user.attributes(),
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id=audience,
            name_id=(
                NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user.email)
                if fault == "email_name_id"
                else NameID(format=NAMEID_FORMAT_PERSISTENT, text=user.name_id)
            ),
            authn=_PASSWORD_CONTEXT,
            sign_response=True,
            sign_assertion=fault != "unsigned_assertion",
            # pysaml2 signs with SHA-1 unless told; python3-saml refuses it, rightly.
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return str(response)

    def _server(
        self,
        key: tuple[Path, Path],
        entity_id: str | None = None,
        lifetime_minutes: int = ASSERTION_LIFETIME_MINUTES,
    ) -> Server:
        key_file, cert_file = key
        config = IdPConfig()
        config.load(
            {
                "entityid": entity_id or self.entity_id,
                "xmlsec_binary": XMLSEC1,
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "metadata": {
                    "inline": [self._sp_metadata(self.sp.entity_id), self._sp_metadata(ANOTHER_SP)]
                },
                "service": {
                    "idp": {
                        "name": "SAML sandbox",
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)]
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "attribute_restrictions": None,
                                "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                            }
                        },
                    }
                },
            }
        )
        return Server(config=config)

    def _sp_metadata(self, entity_id: str) -> str:
        config = SPConfig()
        config.load(
            {
                "entityid": entity_id,
                "xmlsec_binary": XMLSEC1,
                "service": {
                    "sp": {
                        "endpoints": {
                            "assertion_consumer_service": [(self.sp.acs_url, BINDING_HTTP_POST)]
                        }
                    }
                },
            }
        )
        return str(entity_descriptor(config))


def _key_pair(directory: Path, name: str, url: str) -> tuple[Path, Path]:
    """A new RSA key and a self-signed certificate for it, as PEM files (xmlsec1 reads files)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"SAML sandbox at {url}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file
