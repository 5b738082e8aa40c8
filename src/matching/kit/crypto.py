"""Personal-data protection: field encryption, keyed hashes for look-up, API key hashing."""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_CIPHER_INFO = b"matching field encryption v1"
_HASHER_INFO = b"matching keyed hash v1"
_KEY_ID_LABEL = b"matching key id v1"
_VERSION = "v1"
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12  # 96 bits: the size GCM is designed for
_TAG_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, tampered with, or made with an unknown key."""


def _derive(secret: str, info: bytes) -> bytes:
    """A 256-bit key from a secret string; `info` keeps keys for different uses apart."""
    if not secret:
        raise ValueError("secret must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return hkdf.derive(secret.encode("utf-8"))


def _key_id(key: bytes) -> bytes:
    """A short public label for a key: a few bytes of a hash, which reveal nothing usable."""
    return hashlib.sha256(_KEY_ID_LABEL + key).digest()[:_KEY_ID_BYTES]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict, canonical base64url: anything else is refused, so tokens are not malleable."""
    if not _BASE64URL.fullmatch(text):
        raise DecryptionError("token is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("token is not base64url") from None
    if _b64encode(data) != text:
        raise DecryptionError("token is not canonical base64url")
    return data


class FieldCipher:
    """AES-256-GCM for personal fields, with key rotation through a key id in each token."""

    def __init__(self, secret: str, *, old_secrets: Iterable[str] = ()) -> None:
        keys = [_derive(s, _CIPHER_INFO) for s in (secret, *old_secrets)]
        self._current_id = _key_id(keys[0])
        raw: dict[bytes, bytes] = {}
        for key in keys:
            # A secret listed twice is harmless; two keys sharing an id would be ambiguous.
            if raw.setdefault(_key_id(key), key) != key:
                raise ValueError("two data keys share a key id; replace one of them")
        self._keys = {key_id: AESGCM(key) for key_id, key in raw.items()}

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the current key: "v1." + base64url(key id || nonce || ciphertext+tag)."""
        nonce = os.urandom(_NONCE_BYTES)
        aad = self._aad(self._current_id)
        sealed = self._keys[self._current_id].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{_VERSION}.{_b64encode(self._current_id + nonce + sealed)}"

    def decrypt(self, token: str) -> str:
        """Decrypt a token made with the current or an old key, or raise DecryptionError."""
        version, dot, body = token.partition(".")
        if version != _VERSION or not dot:
            raise DecryptionError("unknown token version")
        blob = _b64decode(body)
        if len(blob) < _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("token is too short")
        key_id, rest = blob[:_KEY_ID_BYTES], blob[_KEY_ID_BYTES:]
        aead = self._keys.get(key_id)
        if aead is None:
            raise DecryptionError("token was made with a key this service does not have")
        nonce, sealed = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, sealed, self._aad(key_id)).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError("token failed authentication") from None

    @staticmethod
    def _aad(key_id: bytes) -> bytes:
        # Binding version and key id into the tag means neither can be swapped undetected.
        return _VERSION.encode("ascii") + key_id


class KeyedHasher:
    """HMAC-SHA256 under a secret key, for equality look-up without storing the value."""

    def __init__(self, secret: str) -> None:
        # A plain hash of an ID number could be reversed by hashing every possible number
        # (a few billion candidates); the secret key makes that impossible without the key.
        self._key = _derive(secret, _HASHER_INFO)

    def digest(self, value: str) -> str:
        """Hex HMAC of the value; callers normalise first so equal values hash equally."""
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_api_key(key: str) -> str:
    """SHA-256 hex of an API key, for storage and look-up."""
    # Unsalted, fast SHA-256 is enough here: keys are 256-bit random tokens, so there is
    # nothing to guess, and a deterministic hash lets us find the key row by equality.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_api_key(prefix: str = "mk") -> str:
    """A new random API key such as "mk_" + 43 base64url characters (256 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def constant_time_equals(a: str, b: str) -> bool:
    """Compare secrets without leaking, through timing, where they first differ."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
