#!/usr/bin/python3
"""Known answers for WireGuard's mac1, mac2 and cookie reply (whitepaper
5.4.4, 5.4.7), computed without tether: BLAKE2s from Python's hashlib,
ChaCha20-Poly1305 from python3-cryptography, HChaCha20 written out below
from draft-irtf-cfrg-xchacha-03 (and checked against its test vector).
cookie_vector_test.cc holds the output; run this with Debian's python3
(apt-get install python3-cryptography) to check or regenerate it."""

import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter_round(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + \
        list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter_round(s, 0, 4, 8, 12); quarter_round(s, 1, 5, 9, 13)
        quarter_round(s, 2, 6, 10, 14); quarter_round(s, 3, 7, 11, 15)
        quarter_round(s, 0, 5, 10, 15); quarter_round(s, 1, 6, 11, 12)
        quarter_round(s, 2, 7, 8, 13); quarter_round(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha20_poly1305_seal(key, nonce24, aad, plaintext):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\0\0\0\0" + nonce24[16:], plaintext, aad)


# draft-irtf-cfrg-xchacha-03, 2.2.1: the HChaCha20 test vector.
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == \
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"


def blake2s_256(data):
    return hashlib.blake2s(data).digest()


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


responder_private = bytes(range(0x20, 0x40))
responder_public = X25519PrivateKey.from_private_bytes(responder_private).public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)

# An initiation (148 bytes) whose fields are a fixed pattern: only its
# length and the MAC offsets (116, 132) matter to the MACs.
sender_index = 0x11223344
body = b"\x01\0\0\0" + struct.pack("<I", sender_index) + bytes((i * 7 + 3) & 0xFF for i in range(108))
mac1 = mac(blake2s_256(b"mac1----" + responder_public), body)

# The responder under load: secret, source 198.51.100.7:51820 (address
# bytes, then the port big-endian), the cookie, and its reply's nonce.
secret = bytes(range(0x40, 0x60))
source = bytes([198, 51, 100, 7]) + struct.pack(">H", 51820)
cookie = mac(secret, source)
nonce = bytes(range(0x80, 0x98))
encrypted_cookie = xchacha20_poly1305_seal(blake2s_256(b"cookie--" + responder_public), nonce, mac1, cookie)
reply = struct.pack("<II", 3, sender_index) + nonce + encrypted_cookie
assert len(reply) == 64

# The initiator's next try of the same message carries mac2 from the cookie.
mac2 = mac(cookie, body + mac1)


def show(name, value):
    print('const char* const k%s = "%s";' % (name, value.hex()))


show("ResponderPrivate", responder_private)
show("ResponderPublic", responder_public)
show("InitiationBody", body)
show("Mac1", mac1)
show("Secret", secret)
show("Cookie", cookie)
show("Nonce", nonce)
show("CookieReply", reply)
show("Mac2", mac2)
