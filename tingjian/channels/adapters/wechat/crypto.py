"""WeChat's webhook signatures and message encryption.

The signature is SHA-1 over the sorted token, timestamp and nonce (and, for an encrypted
body, the ciphertext). The encryption of "compatible" and "safe" mode is AES under the
EncodingAESKey, with the appid inside the plaintext: a ciphertext counts as WeChat's only
when it decrypts cleanly and names our appid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..base import SignatureInvalid


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(given: str, token: str, *parts: str) -> None:
    """Raise SignatureInvalid unless ``given`` is the signature of ``token`` and ``parts``."""
    # Without a token anyone could compute the "signature", so an unset token refuses all.
    if not token or not given:
        raise SignatureInvalid("WeChat signature or channel token missing")
    if not hmac.compare_digest(signature(token, *parts).encode(), given.encode()):
        raise SignatureInvalid("WeChat signature does not match")


class MessageCipher:
    """WeChat's message encryption: AES-256-CBC under the EncodingAESKey (IV = the key's first
    16 bytes), PKCS#7 padding to 32-byte blocks, plaintext = 16 random bytes + 4-byte
    big-endian length + XML + appid."""

    BLOCK = 32

    def __init__(self, encoding_aes_key: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise ValueError("the EncodingAESKey is not 43 characters of base64")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, xml: bytes, app_id: str, *, random_prefix: bytes | None = None) -> str:
        prefix = secrets.token_bytes(16) if random_prefix is None else random_prefix
        plain = prefix + struct.pack(">I", len(xml)) + xml + app_id.encode()
        pad = self.BLOCK - len(plain) % self.BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def decrypt(self, encrypted: str) -> tuple[bytes, str]:
        """(xml, appid); ValueError when the ciphertext was not made with this key."""
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise ValueError("not base64") from exc
        if not sealed or len(sealed) % 16:
            raise ValueError("not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(sealed) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= self.BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise ValueError("too short")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise ValueError("length past the end")
        try:
            app_id = content[4 + length :].decode("ascii")
        except UnicodeDecodeError as exc:
            raise ValueError("appid is not text") from exc
        return content[4 : 4 + length], app_id

