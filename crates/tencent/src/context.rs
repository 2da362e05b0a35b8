//! The per-request context handlers receive: services, the caller's scope and the signer.

use std::sync::Arc;

use eniplane_api::credentials::Signer;
use eniplane_api::lenient::{classify, DecodeProblem};
use eniplane_api::Services;
use eniplane_core::ops::Env;
use eniplane_core::{time, Cloud, Error, Scope};
use eniplane_store::Tx;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::auth::Credential;
use crate::cam::{self, Place, Touches};
use crate::error::{from_domain, ApiError, Service};
use crate::protocol::Envelope;

/// Everything a handler needs.
pub(crate) struct Ctx {
    /// Services.
    pub svc: Services,
    /// Scope, catalogue, time, delay and request id for core operations.
    pub env: Env,
    /// The signing key.
    pub key: Arc<Signer>,
    /// The action's service.
    pub service: Service,
}

impl Ctx {
    /// Builds the context, checking the region.
    pub fn new(
        svc: &Services,
        cred: Credential,
        envelope: &Envelope,
        request_id: &str,
        service: Service,
    ) -> Result<Self, ApiError> {
        let default_region = svc.catalog.tencent_regions.first().map(|r| r.id.clone()).unwrap_or_default();
        let region = envelope.region.clone().unwrap_or(default_region);
        if svc.catalog.region(Cloud::Tencent, &region).is_none() {
            return Err(ApiError::new("UnsupportedRegion", format!("The region `{region}` is not supported.")));
        }
        let env = Env {
            scope: Scope::new(cred.key.account_id.clone(), Cloud::Tencent, region),
            catalog: svc.catalog.clone(),
            now_ms: time::now_ms(),
            delay_ms: svc.settings.transition_delay_ms,
            request_id: request_id.to_string(),
        };
        Ok(Self { svc: svc.clone(), env, key: cred.key, service })
    }

    /// Checks the key's policies (when it has any) allow `action` (`vpc:Name`) on every resource
    /// the request touches ([`crate::cam`]); one resource refused refuses the request.
    pub fn authorize(&self, action: &str, touches: &Touches, params: &Value) -> Result<(), ApiError> {
        if self.key.policies.is_empty() {
            return Ok(());
        }
        let scope = &self.env.scope;
        let place = Place { service: self.service.name(), region: &scope.region, account: &scope.account };
        let resources = cam::resources(touches, params, &place)?;
        match resources.iter().find(|r| !self.key.allows(action, r)) {
            None => Ok(()),
            Some(refused) => Err(ApiError::new(
                "AuthFailure.UnauthorizedOperation",
                format!("The request is not authorized: {action} is not allowed for this key on {refused}."),
            )),
        }
    }

    /// Decodes the typed request.
    pub fn decode<T: DeserializeOwned>(&self, params: Value) -> Result<T, ApiError> {
        serde_json::from_value(params).map_err(|e| match classify(&e) {
            DecodeProblem::Missing(f) => ApiError::new("MissingParameter", format!("The parameter `{f}` is required.")),
            DecodeProblem::Unknown(f) => {
                ApiError::new("UnknownParameter", format!("The parameter `{f}` is not recognized."))
            }
            DecodeProblem::Invalid(m) => ApiError::new("InvalidParameter", format!("A parameter is invalid: {m}.")),
        })
    }

    /// Encodes the typed response fields.
    pub fn encode<T: Serialize>(&self, resp: &T) -> Result<Value, ApiError> {
        serde_json::to_value(resp).map_err(|e| ApiError::new("InternalError", e.to_string()))
    }

    /// Maps a domain error for this action's service.
    pub fn err(&self, e: Error) -> ApiError {
        from_domain(e, self.service)
    }

    /// Runs a core operation in a write transaction.
    pub async fn write<R, F>(&self, mut f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &Env) -> Result<R, Error> + Send + 'static,
    {
        let env = self.env.clone();
        self.svc.store.write(move |tx: &mut dyn Tx| f(tx, &env)).await.map_err(|e| self.err(e))
    }

    /// Runs a read-only core query.
    pub async fn read<R, F>(&self, mut f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn Tx, &Env) -> Result<R, Error> + Send + 'static,
    {
        let env = self.env.clone();
        self.svc.store.read(move |tx: &mut dyn Tx| f(tx, &env)).await.map_err(|e| self.err(e))
    }
}
