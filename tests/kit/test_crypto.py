"""Field encryption, keyed hashes and API key helpers."""

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.kit.crypto import (
    DecryptionError,
    FieldCipher,
    KeyedHasher,
    constant_time_equals,
    generate_api_key,
    hash_api_key,
)

SECRET = "current-secret-0123456789abcdefghijklmnopqrstuvwxyz"
OLD = "old-secret-0123456789abcdefghijklmnopqrstuvwxyz"
OTHER = "other-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def _unpack(token: str) -> bytearray:
    body = token.removeprefix("v1.")
    return bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _pack(blob: bytes) -> str:
    return "v1." + base64.urlsafe_b64encode(blob).rstrip(b"=").decode()


@given(st.text())
def test_round_trip(plaintext: str) -> None:
    cipher = FieldCipher(SECRET)
    assert cipher.decrypt(cipher.encrypt(plaintext)) == plaintext


def test_round_trip_chinese_and_token_shape() -> None:
    cipher = FieldCipher(SECRET)
    token = cipher.encrypt("湖南省沅江市 张三丰")
    assert re.fullmatch(r"v1\.[A-Za-z0-9_-]+", token)
    assert "张三丰" not in token
    assert cipher.decrypt(token) == "湖南省沅江市 张三丰"


def test_same_plaintext_gives_different_tokens() -> None:
    cipher = FieldCipher(SECRET)
    tokens = {cipher.encrypt("13812345678") for _ in range(50)}
    assert len(tokens) == 50
    nonces = {bytes(_unpack(t)[4:16]) for t in tokens}
    assert len(nonces) == 50


@given(data=st.data())
def test_flipping_any_byte_is_detected(data: st.DataObject) -> None:
    cipher = FieldCipher(SECRET)
    blob = _unpack(cipher.encrypt("430981198506121234"))
    position = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    blob[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(DecryptionError):
        cipher.decrypt(_pack(bytes(blob)))


def test_changing_any_token_character_is_detected() -> None:
    cipher = FieldCipher(SECRET)
    token = cipher.encrypt("13812345678")
    for i in range(len(token)):
        replacement = "A" if token[i] != "A" else "B"
        with pytest.raises(DecryptionError):
            cipher.decrypt(token[:i] + replacement + token[i + 1 :])


@pytest.mark.parametrize(
    "token",
    ["", "v1.", "v2.AAAA", "v1", "AAAA", "v1.AAAA", "v1.!!!!", "v1.AAAA====", "v1.密文", "v1.A"],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher(SECRET).decrypt(token)


def test_truncated_token() -> None:
    cipher = FieldCipher(SECRET)
    blob = _unpack(cipher.encrypt("x"))
    with pytest.raises(DecryptionError):
        cipher.decrypt(_pack(bytes(blob[:-1])))


def test_wrong_key_fails() -> None:
    token = FieldCipher(SECRET).encrypt("13812345678")
    with pytest.raises(DecryptionError):
        FieldCipher(OTHER).decrypt(token)


def test_rotation_reads_old_tokens_and_writes_with_the_new_key() -> None:
    old_token = FieldCipher(OLD).encrypt("张三丰")
    rotated = FieldCipher(SECRET, old_secrets=[OLD])
    assert rotated.decrypt(old_token) == "张三丰"
    new_token = rotated.encrypt("李四")
    assert FieldCipher(SECRET).decrypt(new_token) == "李四"
    with pytest.raises(DecryptionError):
        FieldCipher(OLD).decrypt(new_token)


def test_key_id_cannot_be_swapped_to_another_known_key() -> None:
    rotated = FieldCipher(SECRET, old_secrets=[OLD])
    old_id = _unpack(FieldCipher(OLD).encrypt("a"))[:4]
    blob = _unpack(rotated.encrypt("b"))
    blob[:4] = old_id
    with pytest.raises(DecryptionError):
        rotated.decrypt(_pack(bytes(blob)))


def test_repeated_secrets_are_harmless_and_empty_ones_refused() -> None:
    cipher = FieldCipher(SECRET, old_secrets=[SECRET, OLD, OLD])
    assert cipher.decrypt(FieldCipher(OLD).encrypt("ok")) == "ok"
    with pytest.raises(ValueError, match="empty"):
        FieldCipher("")
    with pytest.raises(ValueError, match="empty"):
        FieldCipher(SECRET, old_secrets=[""])


def test_hasher_is_deterministic_and_keyed() -> None:
    digest = KeyedHasher(SECRET).digest("430981198506121234")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert KeyedHasher(SECRET).digest("430981198506121234") == digest
    assert KeyedHasher(OTHER).digest("430981198506121234") != digest
    assert KeyedHasher(SECRET).digest("430981198506121235") != digest


def test_api_keys() -> None:
    key = generate_api_key()
    assert re.fullmatch(r"mk_[A-Za-z0-9_-]{43}", key)
    assert generate_api_key() != key
    assert generate_api_key("test").startswith("test_")
    digest = hash_api_key(key)
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and digest == hash_api_key(key)
    assert hash_api_key(key + "x") != digest


def test_constant_time_equals() -> None:
    assert constant_time_equals("abc", "abc")
    assert constant_time_equals("密钥", "密钥")
    assert not constant_time_equals("abc", "abd")
    assert not constant_time_equals("abc", "abcd")
