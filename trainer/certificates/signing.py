"""The issuer key (Ed25519) and Data Integrity proofs (cryptosuite eddsa-jcs-2022).

The credential served at /verify/<token>.json carries a proof that anyone holding the public key
(published at /verify/issuer-key.json) can check offline:

    signature = Ed25519(SHA-256(JCS(proof options)) || SHA-256(JCS(credential without proof)))

JCS is RFC 8785 (the `jcs` package); the signature is multibase base58btc ("z…"). Pure apart from
the key file: no Flask here.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import base58
import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Multicodec prefix of an Ed25519 public key, as in a Multikey's publicKeyMultibase ("z6Mk…").
_ED25519_MULTICODEC = b"\xed\x01"
CRYPTOSUITE = "eddsa-jcs-2022"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The issuer's private key from a PEM file, generated there (mode 0600) on first use.

    Several app hosts must share one file (docs/operations.md): a key made per host would sign
    credentials that the published key does not verify."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it a moment ago: use that one
        return load_or_create_key(path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_multibase(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return "z" + base58.b58encode(_ED25519_MULTICODEC + public_raw(key)).decode()


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    raw = base58.b58decode(value.removeprefix("z"))
    if not value.startswith("z") or raw[:2] != _ED25519_MULTICODEC or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short fingerprint naming the key, so a future key can stand beside this one."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]


def verification_method(key: Ed25519PrivateKey | Ed25519PublicKey, document_id: str) -> str:
    """The id of the key inside the issuer key document published at document_id."""
    return f"{document_id}#{key_id(key)}"


def issuer_document(key: Ed25519PrivateKey | Ed25519PublicKey, document_id: str) -> dict[str, Any]:
    """The public key that checks every credential's proof, as a controlled identifier document
    to publish at document_id."""
    method_id = verification_method(key, document_id)
    return {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": document_id,
        "name": "見守りトレーナー 修了証の発行者鍵",
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": document_id,
                "publicKeyMultibase": public_multibase(key),
            }
        ],
        "assertionMethod": [method_id],
    }


def _signing_input(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    return (
        hashlib.sha256(jcs.canonicalize(options)).digest()
        + hashlib.sha256(jcs.canonicalize(document)).digest()
    )


def sign(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """The document with a DataIntegrityProof added (the input is not changed)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "@context": unsigned["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_signing_input(unsigned, options))
    proof = {**options, "proofValue": "z" + base58.b58encode(signature).decode()}
    return {**unsigned, "proof": proof}


def verify(document: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """True when the proof was made by this key over exactly this document."""
    proof = dict(document.get("proof") or {})
    value = proof.pop("proofValue", "")
    if proof.get("cryptosuite") != CRYPTOSUITE or not value.startswith("z"):
        return False
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    if proof.get("@context") != unsigned.get("@context"):
        return False
    try:
        public_key.verify(base58.b58decode(value[1:]), _signing_input(unsigned, proof))
    except (InvalidSignature, ValueError):
        return False
    return True
