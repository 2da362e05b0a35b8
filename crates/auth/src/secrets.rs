//! Access-key secrets at rest: a [`Secret`] that zeroes its memory on drop and never prints itself, the 32-byte
//! [`SecretKey`] kept outside the database, and the [`SealedSecret`] form the database holds (XChaCha20-Poly1305,
//! a fresh random 24-byte nonce per seal, the access key id as associated data so a sealed secret cannot be moved to
//! another key).
//!
//! Where the key lives (a file, the environment) is the caller's business; everything here is pure apart from the
//! operating-system randomness used for keys and nonces.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::constant_time_eq;

/// Length of a [`SecretKey`] in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the XChaCha20 nonce at the start of a sealed blob.
const NONCE_LEN: usize = 24;
/// Poly1305 tag length at the end of a sealed blob.
const TAG_LEN: usize = 16;
/// Longest sealed blob accepted (base64 characters): a 1 KiB secret sealed, with room to spare.
const MAX_BLOB: usize = 2048;
/// Name of the algorithm, stored beside every sealed secret.
pub const ALGORITHM: &str = "XChaCha20-Poly1305";

/// Associated data of an access-key secret: this prefix followed by the key id.
const SECRET_AAD: &[u8] = b"eniplane/access-key-secret/v1\0";
/// Associated data of the key check value.
const CHECK_AAD: &[u8] = b"eniplane/secret-key-check/v1";
/// Plain text of the key check value.
const CHECK_TEXT: &[u8] = b"eniplane secret key check";

/// A secret string (an access-key secret, a key in base64). Its memory is zeroed when dropped and `Debug` prints
/// `Secret(redacted)`; read it with [`Secret::expose`].
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    /// Takes ownership of the string: its buffer is the one zeroed on drop.
    fn from(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(Zeroizing::new(s.to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl PartialEq for Secret {
    /// Constant time in the contents.
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// Why a key or a sealed secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Key text that is not 32 bytes in standard base64.
    #[error("not a secret key: expected {KEY_LEN} bytes in base64 ({0})")]
    BadKey(String),
    /// A sealed blob that is not base64, too short or too long.
    #[error("sealed secret is damaged: {0}")]
    Corrupt(String),
    /// The blob does not open under this key (another key sealed it, or it was altered).
    #[error("sealed secret does not open with this key")]
    WrongKey,
}

/// The key that seals access-key secrets: 32 random bytes, zeroed on drop, never printed.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.fingerprint())
    }
}

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&key);
        Self(bytes)
    }

    /// Parses the text form (standard base64 of 32 bytes; surrounding whitespace is ignored).
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let decoded = Zeroizing::new(B64.decode(text.trim()).map_err(|e| SealError::BadKey(e.to_string()))?);
        if decoded.len() != KEY_LEN {
            return Err(SealError::BadKey(format!("{} bytes", decoded.len())));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&decoded);
        Ok(Self(bytes))
    }

    /// The text form, as [`SecretKey::from_base64`] reads it.
    pub fn to_base64(&self) -> Secret {
        Secret::from(B64.encode(*self.0))
    }

    /// First 8 hex digits of SHA-256 of the key: names a key in messages without revealing it.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(*self.0);
        hex::encode(&digest[..4])
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }

    fn seal_bytes(&self, aad: &[u8], plain: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption only fails for inputs beyond the cipher's 256 GiB limit; a secret is a few bytes.
        let sealed = self.cipher().encrypt(&nonce, Payload { msg: plain, aad }).unwrap_or_default();
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        B64.encode(blob)
    }

    fn open_bytes(&self, aad: &[u8], blob: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if blob.len() > MAX_BLOB {
            return Err(SealError::Corrupt(format!("longer than {MAX_BLOB} characters")));
        }
        let raw = B64.decode(blob).map_err(|e| SealError::Corrupt(e.to_string()))?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Corrupt("too short".into()));
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| SealError::WrongKey)?;
        Ok(Zeroizing::new(plain))
    }

    /// Seals the secret of access key `key_id`.
    pub fn seal(&self, key_id: &str, secret: &Secret) -> SealedSecret {
        SealedSecret::Sealed(self.seal_bytes(&secret_aad(key_id), secret.expose().as_bytes()))
    }

    /// Opens the secret of access key `key_id`. A [`SealedSecret::Plain`] (a record written before secrets were
    /// sealed) opens to itself; callers that care check [`SealedSecret::is_sealed`].
    pub fn open(&self, key_id: &str, sealed: &SealedSecret) -> Result<Secret, SealError> {
        match sealed {
            SealedSecret::Plain(s) => Ok(s.clone()),
            SealedSecret::Sealed(blob) => {
                let plain = self.open_bytes(&secret_aad(key_id), blob)?;
                let text = std::str::from_utf8(&plain).map_err(|_| SealError::Corrupt("not UTF-8".into()))?;
                Ok(Secret::from(text))
            }
        }
    }

    /// A value sealed under this key that [`SecretKey::opens_check`] recognises: stored once beside the sealed
    /// secrets, it tells at start-up whether the key given is the one they were sealed with.
    pub fn check_value(&self) -> SealedSecret {
        SealedSecret::Sealed(self.seal_bytes(CHECK_AAD, CHECK_TEXT))
    }

    /// Whether `check` is a [`SecretKey::check_value`] of this key.
    pub fn opens_check(&self, check: &SealedSecret) -> bool {
        match check {
            SealedSecret::Sealed(blob) => self.open_bytes(CHECK_AAD, blob).is_ok_and(|p| p.as_slice() == CHECK_TEXT),
            SealedSecret::Plain(_) => false,
        }
    }
}

fn secret_aad(key_id: &str) -> Vec<u8> {
    let mut aad = SECRET_AAD.to_vec();
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

/// An access-key secret as the database holds it. Stored as `{"alg": "XChaCha20-Poly1305", "sealed": "<base64 of
/// nonce ‖ ciphertext ‖ tag>"}`; a bare JSON string is a secret stored before sealing existed, read so the start-up
/// migration can seal it.
#[derive(Clone, PartialEq, Eq)]
pub enum SealedSecret {
    /// Base64 of nonce ‖ ciphertext ‖ tag.
    Sealed(String),
    /// Plain text found in an old record.
    Plain(Secret),
}

impl SealedSecret {
    /// `false` for plain text left by an older version.
    pub fn is_sealed(&self) -> bool {
        matches!(self, SealedSecret::Sealed(_))
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealedSecret::Sealed(_) => f.write_str("SealedSecret(sealed)"),
            SealedSecret::Plain(_) => f.write_str("SealedSecret(plain text, not yet sealed)"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    alg: String,
    sealed: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StoredForm {
    Sealed(Stored),
    Plain(String),
}

impl Serialize for SealedSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SealedSecret::Sealed(blob) => Stored { alg: ALGORITHM.into(), sealed: blob.clone() }.serialize(s),
            SealedSecret::Plain(p) => s.serialize_str(p.expose()),
        }
    }
}

impl<'de> Deserialize<'de> for SealedSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StoredForm::deserialize(d)? {
            StoredForm::Plain(p) => Ok(SealedSecret::Plain(Secret::from(p))),
            StoredForm::Sealed(Stored { alg, sealed }) if alg == ALGORITHM => Ok(SealedSecret::Sealed(sealed)),
            StoredForm::Sealed(Stored { alg, .. }) => {
                Err(serde::de::Error::custom(format!("unknown secret sealing algorithm {alg:?}")))
            }
        }
    }
}

#[cfg(test)]
mod tests;
