//! The per-request context handlers receive: services, the caller's account and key, and
//! `write`/`read`, which run core operations in one store transaction. Inside a transaction a
//! [`Reach`] gives the [`Env`] of an edge region, of the account's security groups, or of
//! whichever configured ENS region holds a given resource (ENS actions name resources by ID
//! without a region).

use std::sync::Arc;

use eniplane_api::credentials::Signer;
use eniplane_api::lenient::{classify, DecodeProblem};
use eniplane_api::Services;
use eniplane_core::ops::ens::GROUP_REGION;
use eniplane_core::ops::Env;
use eniplane_core::repo::{self, Resource};
use eniplane_core::{time, Catalog, Cloud, Error, Scope};
use eniplane_store::Tx;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{from_domain, ApiError, Family};
use crate::ram::{self, Touches};

/// Everything a handler needs.
pub(crate) struct Ctx {
    /// Services.
    pub svc: Services,
    /// The caller's account.
    pub account: String,
    /// The signing key.
    pub key: Arc<Signer>,
    /// The action's error family.
    pub family: Family,
    reach: Reach,
}

/// What a transaction body needs to build envs: account, catalogue, time, delay, request id.
#[derive(Clone)]
pub(crate) struct Reach {
    account: String,
    catalog: Arc<Catalog>,
    now_ms: i64,
    delay_ms: i64,
    request_id: String,
}

impl Reach {
    /// The env of an edge region.
    pub fn env(&self, region: &str) -> Env {
        Env {
            scope: Scope::new(self.account.clone(), Cloud::Ens, region),
            catalog: self.catalog.clone(),
            now_ms: self.now_ms,
            delay_ms: self.delay_ms,
            request_id: self.request_id.clone(),
        }
    }

    /// The env of a region with a distinct task id (several asynchronous changes in one request).
    pub fn env_n(&self, region: &str, n: usize) -> Env {
        let mut env = self.env(region);
        if n > 0 {
            env.request_id = format!("{}-{n}", self.request_id);
        }
        env
    }

    /// The env of the account's security groups.
    pub fn groups(&self) -> Env {
        self.env(GROUP_REGION)
    }

    /// Configured ENS regions.
    pub fn regions(&self) -> Vec<String> {
        self.catalog.ens_regions.iter().map(|r| r.id.clone()).collect()
    }

    /// Whether `region` is a configured ENS region.
    pub fn known_region(&self, region: &str) -> bool {
        self.catalog.region(Cloud::Ens, region).is_some()
    }

    /// The envs of every configured region.
    pub fn all(&self) -> Vec<Env> {
        self.regions().iter().map(|r| self.env(r)).collect()
    }

    /// The env of the first configured region holding resource `id`, if any.
    pub fn locate<R: Resource>(&self, tx: &mut dyn Tx, id: &str) -> Result<Option<Env>, Error> {
        for region in self.regions() {
            let env = self.env(&region);
            if repo::find::<R>(tx, &env.scope, id)?.is_some() {
                return Ok(Some(env));
            }
        }
        Ok(None)
    }

    /// Like [`Reach::locate`], but a resource in no region is [`Error::NotFound`].
    pub fn at<R: Resource>(&self, tx: &mut dyn Tx, id: &str) -> Result<Env, Error> {
        self.locate::<R>(tx, id)?.ok_or_else(|| Error::NotFound { kind: R::DOMAIN, id: id.into() })
    }

    /// The env of an explicit region, checked against the catalogue.
    pub fn region(&self, region: &str) -> Result<Env, Error> {
        if !self.known_region(region) {
            return Err(Error::InvalidValue {
                field: "EnsRegionId".into(),
                reason: format!("unknown edge zone {region}"),
            });
        }
        Ok(self.env(region))
    }
}

impl Ctx {
    /// Builds the context.
    pub fn new(svc: &Services, key: Arc<Signer>, request_id: &str, family: Family) -> Self {
        let reach = Reach {
            account: key.account_id.clone(),
            catalog: svc.catalog.clone(),
            now_ms: time::now_ms(),
            delay_ms: svc.settings.transition_delay_ms,
            request_id: request_id.to_string(),
        };
        Self { svc: svc.clone(), account: key.account_id.clone(), key, family, reach }
    }

    /// The catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.svc.catalog
    }

    /// Checks the key's policies (when it has any) allow `action` (`ens:Name`) on every resource
    /// the request touches ([`crate::ram`]); one resource refused refuses the request. Denial
    /// is `NoPermission` (HTTP 400), as the ENS pages document.
    pub fn authorize(&self, action: &str, touches: &Touches, params: &Value) -> Result<(), ApiError> {
        if self.key.policies.is_empty() {
            return Ok(());
        }
        let resources = ram::resources(touches, params, &self.account)?;
        if resources.iter().all(|r| self.key.allows(action, r)) {
            return Ok(());
        }
        Err(ApiError::new("NoPermission", "Permission denied."))
    }

    /// Decodes the typed request: a missing field is `MissingParameter`, an unknown one
    /// `InvalidParameter` naming it, a value of the wrong shape `InvalidParameter`.
    pub fn decode<T: DeserializeOwned>(&self, params: Value) -> Result<T, ApiError> {
        serde_json::from_value(params).map_err(|e| match classify(&e) {
            DecodeProblem::Missing(f) => ApiError::missing(&f),
            DecodeProblem::Unknown(f) => {
                ApiError::new("InvalidParameter", format!("The specified parameter \"{f}\" is not valid."))
            }
            DecodeProblem::Invalid(m) => ApiError::new("InvalidParameter", format!("A parameter is not valid: {m}.")),
        })
    }

    /// Encodes the typed response fields.
    pub fn encode<T: Serialize>(&self, resp: &T) -> Result<Value, ApiError> {
        serde_json::to_value(resp).map_err(|e| ApiError::with_status(500, "InternalError", e.to_string()))
    }

    /// Maps a domain error for this action.
    pub fn err(&self, e: Error) -> ApiError {
        from_domain(e, self.family)
    }

    /// Runs core operations in one write transaction.
    pub async fn write<R, F>(&self, mut f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &Reach) -> Result<R, Error> + Send + 'static,
    {
        let reach = self.reach.clone();
        self.svc.store.write(move |tx: &mut dyn Tx| f(tx, &reach)).await.map_err(|e| self.err(e))
    }

    /// Runs read-only core queries in one read transaction.
    pub async fn read<R, F>(&self, mut f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &Reach) -> Result<R, Error> + Send + 'static,
    {
        let reach = self.reach.clone();
        self.svc.store.read(move |tx: &mut dyn Tx| f(tx, &reach)).await.map_err(|e| self.err(e))
    }
}
