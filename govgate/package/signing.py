"""The package's Ed25519 signing key: loaded from settings or generated once, and public keys to verify with."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.errors import ConfigError
from govgate.package.layout import KEY_FILE


@dataclass
class SigningKey:
    private: Any  # Ed25519PrivateKey
    source: str  # where it came from, for messages (never the key itself)

    @property
    def public(self):
        return self.private.public_key()

    def public_pem(self) -> bytes:
        return public_pem(self.public)

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def public_pem(public) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public) -> str:
    """``sha256:<hex>`` of the raw 32-byte Ed25519 public key."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _private_from_pem(pem: bytes, where: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ConfigError(
            f"signing key {where} is encrypted; govgate needs an unencrypted Ed25519 PEM (keep it in a secret store)"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"signing key {where} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            f"signing key {where} is a {type(key).__name__.lstrip('_')}; evidence packages are signed with Ed25519"
        )
    return key


def load_signing_key(settings) -> SigningKey:
    """The key from ``settings.signing_key`` (PEM text or a path), else the one kept under
    ``<home>/keys/`` (generated once, 0600)."""
    if settings.signing_key is not None and settings.signing_key.get_secret_value().strip():
        value = settings.signing_key.get_secret_value().strip()
        if value.startswith("-----BEGIN"):
            return SigningKey(
                _private_from_pem(value.encode(), "from GOVGATE_SIGNING_KEY"), "settings.signing_key (PEM)"
            )
        path = Path(value).expanduser()
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"signing_key (GOVGATE_SIGNING_KEY) points at {path}, which cannot be read: {exc.strerror or exc}"
            ) from None
        return SigningKey(_private_from_pem(pem, str(path)), str(path))
    return SigningKey(
        _private_from_pem(_default_key_file(settings).read_bytes(), "in the home folder"),
        str(_default_key_file(settings)),
    )


def _default_key_file(settings) -> Path:
    """``<home>/keys/launch-signing-ed25519.pem``, created atomically with 0600 if it does not exist."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = settings.home_dir / "keys"
    path = keys / KEY_FILE
    if path.exists():
        return path
    keys.mkdir(parents=True, exist_ok=True)
    os.chmod(keys, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = keys / f".{KEY_FILE}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)  # atomic; a concurrent run that won the race keeps its key
        (keys / (KEY_FILE[: -len(".pem")] + ".pub.pem")).write_bytes(public_pem(key.public_key()))
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path


FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


def trusted_fingerprints(settings) -> set[str]:
    """The fingerprints ``settings.trusted_keys`` names (fingerprints as given, PEM files by their key);
    a malformed entry is a ConfigError naming it."""
    listed: set[str] = set()
    for entry in (e.strip() for e in (getattr(settings, "trusted_keys", None) or "").split(",")):
        if not entry:
            continue
        if entry.startswith("sha256:"):
            if not FINGERPRINT.match(entry):
                raise ConfigError(f"GOVGATE_TRUSTED_KEYS entry {entry[:80]!r} is not sha256:<64 hex digits>")
            listed.add(entry)
        else:
            listed.add(key_fingerprint(load_public_key(Path(entry))[0]))
    return listed


def load_public_key(spec) -> tuple[Any, str]:
    """(Ed25519 public key, description) from a key object, PEM text/bytes (public or private) or a path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    if isinstance(spec, Ed25519PublicKey):
        return spec, "given key"
    if isinstance(spec, Ed25519PrivateKey):
        return spec.public_key(), "given key"
    if isinstance(spec, SigningKey):
        return spec.public, spec.source
    where = "given PEM"
    if isinstance(spec, Path) or (isinstance(spec, str) and not spec.lstrip().startswith("-----BEGIN")):
        where = str(spec)
        try:
            spec = Path(spec).expanduser().read_bytes()
        except OSError as exc:
            raise ConfigError(f"public key file {where} cannot be read: {exc.strerror or exc}") from None
    data = spec.encode() if isinstance(spec, str) else bytes(spec)
    if b"PRIVATE KEY" in data:
        return _private_from_pem(data, where).public_key(), where
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigError(f"public key {where} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {where} is not an Ed25519 key")
    return key, where
