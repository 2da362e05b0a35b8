//! Access key lookups with an in-memory cache of keys already seen. A miss always asks the
//! store, so keys created by `eniplane account create` / `key create` while the server runs work
//! at once; a cached key is read again after [`CACHE_TTL`], so a key disabled or deleted (or given
//! other policies) by the CLI or by another replica stops signing within that time. A key's
//! secret is stored sealed and opened when the key enters the cache (again only when its record
//! changed); only the cache holds it in plain text (in a [`Secret`], zeroed when the entry goes).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eniplane_auth::policy::{evaluate, Decision, Policy, Request};
use eniplane_auth::secrets::SecretKey;
use eniplane_auth::Secret;
use eniplane_core::model::AccessKey;
use eniplane_core::{repo, Error};
use eniplane_store::{Store, StoreError, Tx};
use parking_lot::RwLock;

/// What a key may do, decided once when it enters the cache.
enum Grants {
    /// No policies: an account's own key may do everything in its account.
    Everything,
    /// The parsed policies decide.
    Policies(Vec<Policy>),
    /// A stored document no longer passes the strict parser: nothing is allowed, since dropping
    /// just that document could drop a Deny and widen what the others allow.
    Nothing,
}

/// A key as the request path needs it: the stored key plus its policy documents parsed once,
/// when the key enters the cache.
pub struct Signer {
    key: AccessKey,
    secret: Secret,
    grants: Grants,
}

impl Signer {
    /// Opens the key's secret with `sealing` and parses its policies. A secret that does not open
    /// is an error (the store is damaged or was sealed with another key); one still in plain text
    /// (written by an older version, sealed at the next start) is used and logged.
    fn new(key: AccessKey, sealing: &SecretKey) -> Result<Self, Error> {
        let secret = sealing.open(&key.id, &key.secret).map_err(|e| {
            tracing::error!(key = %key.id, error = %e, "access-key secret does not open");
            Error::Store(StoreError::Corrupt(format!("access key {}: {e}", key.id)))
        })?;
        if !key.secret.is_sealed() {
            tracing::warn!(key = %key.id, "access-key secret is stored in plain text; the next start seals it");
        }
        let grants = if key.policies.is_empty() {
            Grants::Everything
        } else {
            match key.policies.iter().map(Policy::from_value).collect::<Result<Vec<_>, _>>() {
                Ok(policies) => Grants::Policies(policies),
                Err(e) => {
                    tracing::warn!(key = %key.id, error = %e, "stored policy refused: the key is denied everything");
                    Grants::Nothing
                }
            }
        };
        Ok(Self { key, secret, grants })
    }

    /// The key's secret, for verifying signatures.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Whether the key may do `action` (`vpc:Name`, `ens:Name`) on `resource` (a CAM
    /// `qcs::…` or RAM `acs:…` resource string; segments not known given as `*`): always
    /// without policies (an account's own key), else by the policies (explicit Deny wins).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        match &self.grants {
            Grants::Everything => true,
            Grants::Nothing => false,
            Grants::Policies(p) => {
                let req = Request { action, resource, account: &self.key.account_id };
                evaluate(p, &req) == Decision::Allow
            }
        }
    }
}

impl Deref for Signer {
    type Target = AccessKey;
    fn deref(&self) -> &AccessKey {
        &self.key
    }
}

/// How long a cached key is trusted before the store is asked again.
pub const CACHE_TTL: Duration = Duration::from_secs(2);

/// A cached key and when it was read.
type Cached = (Arc<Signer>, Instant);

/// The access key cache.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    sealing: Arc<SecretKey>,
    cache: Arc<RwLock<HashMap<String, Cached>>>,
}

impl Credentials {
    /// A cache over `store`, whose secrets `sealing` opens.
    pub fn new(store: Store, sealing: Arc<SecretKey>) -> Self {
        Self { store, sealing, cache: Arc::default() }
    }

    /// The key that seals and opens access-key secrets.
    pub fn secret_key(&self) -> &SecretKey {
        &self.sealing
    }

    /// The key with this id, if any (an empty id names no key). A disabled key is returned
    /// too: the dialect answers it with its own error.
    pub async fn lookup(&self, id: &str) -> Result<Option<Arc<Signer>>, Error> {
        if id.is_empty() {
            return Ok(None);
        }
        if let Some((k, at)) = self.cache.read().get(id) {
            if at.elapsed() < CACHE_TTL {
                return Ok(Some(k.clone()));
            }
        }
        let wanted = id.to_string();
        let found = self.store.read(move |tx: &mut dyn Tx| repo::access_key(tx, &wanted)).await?;
        let Some(found) = found else {
            self.cache.write().remove(id);
            return Ok(None);
        };
        // The same record as cached: keep its opened secret and parsed policies.
        let unchanged = self.cache.read().get(id).filter(|(k, _)| k.key == found).map(|(k, _)| k.clone());
        let k = match unchanged {
            Some(k) => k,
            None => Arc::new(Signer::new(found, &self.sealing)?),
        };
        self.cache.write().insert(k.id.clone(), (k.clone(), Instant::now()));
        Ok(Some(k))
    }

    /// Forgets a cached key (after its policies change).
    pub fn forget(&self, id: &str) {
        self.cache.write().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eniplane_auth::secrets::SealedSecret;
    use serde_json::json;

    fn key(sealing: &SecretKey, policies: Vec<serde_json::Value>) -> AccessKey {
        AccessKey {
            id: "AKIDcache".into(),
            secret: sealing.seal("AKIDcache", &Secret::from("s3cret")),
            account_id: "100000000001".into(),
            policies,
            created_at: 0,
            disabled: false,
        }
    }

    const ENI: &str = "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1";

    #[test]
    fn opens_the_secret_once_and_grants_by_policy() {
        let sealing = SecretKey::generate();
        let own = Signer::new(key(&sealing, Vec::new()), &sealing).unwrap();
        assert_eq!(own.secret().expose(), "s3cret");
        assert!(own.allows("vpc:DeleteVpc", "*"), "a key without policies may do everything");
        let allow = json!({"version": "2.0", "statement": [
            {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:::eni/*"}]});
        let limited = Signer::new(key(&sealing, vec![allow]), &sealing).unwrap();
        assert!(limited.allows("vpc:AttachNetworkInterface", ENI), "an empty CAM account is the key's own");
        assert!(!limited.allows("vpc:AttachNetworkInterface", "qcs::vpc:ap-guangzhou:uin/2:eni/eni-1"));
        assert!(!limited.allows("cvm:RunInstances", ENI));
    }

    #[test]
    fn a_stored_policy_that_no_longer_passes_denies_everything() {
        let sealing = SecretKey::generate();
        let allow = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        // Stored by an older version: a Deny with a condition the strict parser refuses. Dropping
        // only this document would leave the Allow of the other one standing.
        let conditional = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:Delete*",
            "Resource": "*", "Condition": {"Bool": {"acs:SecureTransport": "false"}}}]});
        let s = Signer::new(key(&sealing, vec![allow.clone(), conditional]), &sealing).unwrap();
        assert!(!s.allows("vpc:DescribeVpcs", "*"));
        assert!(!s.allows("vpc:DeleteVpc", "*"));
        let s = Signer::new(key(&sealing, vec![allow]), &sealing).unwrap();
        assert!(s.allows("vpc:DescribeVpcs", "*"));
    }

    #[test]
    fn secrets_sealed_with_another_key_or_left_plain() {
        let sealing = SecretKey::generate();
        let other = SecretKey::generate();
        let err = Signer::new(key(&other, Vec::new()), &sealing).err().expect("refused");
        assert!(matches!(err, Error::Store(StoreError::Corrupt(_))), "{err:?}");
        let mut plain = key(&sealing, Vec::new());
        plain.secret = SealedSecret::Plain(Secret::from("legacy"));
        assert_eq!(Signer::new(plain, &sealing).unwrap().secret().expose(), "legacy");
    }
}
