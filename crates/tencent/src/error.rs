//! Tencent error codes and the one place domain and authentication errors become them.

use eniplane_api::HttpResponse;
use eniplane_auth::AuthError;
use eniplane_core::{Error, Kind, Quota};
use serde_json::json;

/// An error as the wire shows it: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Tencent error code, e.g. `ResourceNotFound`.
    pub code: String,
    /// Human message.
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }

    /// Renders the error envelope.
    pub fn render(&self, request_id: &str) -> HttpResponse {
        let body =
            json!({"Response": {"Error": {"Code": self.code, "Message": self.message}, "RequestId": request_id}});
        HttpResponse::json(200, "application/json", serde_json::to_vec(&body).unwrap_or_default())
    }

    /// Keeps the code when the action documents it (or it is a common code); otherwise falls
    /// back to the nearest documented parent (`UnsupportedOperation.InvalidState` →
    /// `UnsupportedOperation`). `documented` empty means no narrowing.
    pub fn narrow(mut self, documented: &[&str]) -> Self {
        if documented.is_empty() || documented.contains(&self.code.as_str()) || is_common(&self.code) {
            return self;
        }
        let mut code = self.code.as_str();
        while let Some((parent, _)) = code.rsplit_once('.') {
            if documented.contains(&parent) || is_common(parent) {
                self.code = parent.to_string();
                return self;
            }
            code = parent;
        }
        self
    }
}

/// Codes every action may return.
fn is_common(code: &str) -> bool {
    matches!(
        code,
        "AuthFailure.InvalidAuthorization"
            | "AuthFailure.SecretIdNotFound"
            | "AuthFailure.SignatureExpire"
            | "AuthFailure.SignatureFailure"
            | "AuthFailure.TokenFailure"
            | "AuthFailure.UnauthorizedOperation"
            | "InternalError"
            | "InvalidAction"
            | "InvalidParameter"
            | "InvalidParameterValue"
            | "LimitExceeded"
            | "MissingParameter"
            | "NoSuchVersion"
            | "RequestLimitExceeded"
            | "ResourceInUse"
            | "ResourceInsufficient"
            | "ResourceNotFound"
            | "UnauthorizedOperation"
            | "UnknownParameter"
            | "UnsupportedOperation"
            | "UnsupportedProtocol"
            | "UnsupportedRegion"
    )
}

/// Which service an action belongs to; a few codes differ between VPC and CVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `vpc.tencentcloudapi.com`.
    Vpc,
    /// `cvm.tencentcloudapi.com`.
    Cvm,
}

impl Service {
    /// The credential-scope name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Vpc => "vpc",
            Service::Cvm => "cvm",
        }
    }
}

/// Maps a domain error to the wire, exhaustively.
pub fn from_domain(e: Error, service: Service) -> ApiError {
    let msg = e.to_string();
    let code: String = match (&e, service) {
        (Error::NotFound { kind: Kind::Instance, .. }, Service::Cvm) => "InvalidInstanceId.NotFound".into(),
        (Error::NotFound { kind: Kind::SecurityGroup, .. }, Service::Cvm) => "InvalidSecurityGroupId.NotFound".into(),
        (Error::NotFound { kind: Kind::Vpc, .. }, Service::Cvm) => "InvalidParameterValue.VpcIdNotExist".into(),
        (Error::NotFound { kind: Kind::Subnet, .. }, Service::Cvm) => "InvalidParameterValue.SubnetNotExist".into(),
        (Error::NotFound { .. }, _) => "ResourceNotFound".into(),
        (Error::Malformed { .. }, _) => "InvalidParameterValue.Malformed".into(),
        (Error::InvalidValue { .. }, _) => "InvalidParameterValue".into(),
        (Error::TooMany { .. }, _) => "InvalidParameterValue.LimitExceeded".into(),
        (Error::Missing { .. }, _) => "MissingParameter".into(),
        (Error::InvalidState { kind: Kind::Instance, state, .. }, Service::Cvm) => {
            format!("UnsupportedOperation.InstanceState{}", camel(state))
        }
        (Error::InvalidState { .. }, _) => "UnsupportedOperation.InvalidState".into(),
        (Error::PrimaryEni { .. }, _) => "UnsupportedOperation".into(),
        (Error::AlreadyAttached { .. }, _) => "UnsupportedOperation.AttachmentAlreadyExists".into(),
        (Error::NotAttached { .. }, _) => "UnsupportedOperation.AttachmentNotFound".into(),
        (Error::ZoneMismatch { .. }, Service::Cvm) => "InvalidParameterValue.ZoneNotMatch".into(),
        (Error::ZoneMismatch { .. }, _) => "UnsupportedOperation.ZoneMismatch".into(),
        (Error::VpcMismatch { .. }, Service::Cvm) => "InvalidParameterValue.VpcNotMatch".into(),
        (Error::VpcMismatch { .. }, _) => "UnsupportedOperation.VpcMismatch".into(),
        (Error::NoSecurityGroup { .. }, _) => "UnsupportedOperation".into(),
        (Error::QuotaExceeded { quota, .. }, _) => match quota {
            Quota::EnisPerVpc => "LimitExceeded.NetworkInterfaceLimitExceeded".into(),
            Quota::EnisPerInstance
            | Quota::IpsPerEni
            | Quota::GroupsPerEni
            | Quota::GroupsPerRegion
            | Quota::RulesPerGroup
            | Quota::VpcsPerRegion
            | Quota::SubnetsPerVpc => "LimitExceeded".into(),
        },
        (Error::SubnetExhausted { .. }, _) => "ResourceInsufficient.Subnet".into(),
        (Error::AddressInUse { .. }, _) => "ResourceInUse".into(),
        (Error::AddressOutOfSubnet { .. }, _) => "InvalidParameterValue.Range".into(),
        (Error::PrimaryIp { .. }, _) => "UnsupportedOperation.PrimaryIp".into(),
        (Error::IpNotOnEni { .. }, _) => "UnsupportedOperation.AttachmentNotFound".into(),
        (Error::InUse { .. }, _) => "ResourceInUse".into(),
        (Error::CidrConflict { .. }, _) => "InvalidParameterValue.SubnetConflict".into(),
        (Error::ServiceManaged { .. }, _) => "UnsupportedOperation".into(),
        (Error::LastSecurityGroup { .. }, _) => "UnsupportedOperation".into(),
        (Error::Duplicate { .. }, _) => "InvalidParameterValue.Duplicate".into(),
        (Error::Store(_), _) => "InternalError".into(),
    };
    let message = match &e {
        Error::Store(_) => "An internal error occurred; the request was not applied.".to_string(),
        _ => msg,
    };
    if matches!(e, Error::Store(_)) {
        tracing::error!(error = %e, "store failure");
    }
    ApiError::new(code, message)
}

fn camel(state: &str) -> String {
    state
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Maps a signature failure to the wire.
pub fn from_auth(e: &AuthError) -> ApiError {
    match e {
        AuthError::Missing(m) => {
            ApiError::new("AuthFailure.InvalidAuthorization", format!("Authorization is missing or invalid: {m}."))
        }
        AuthError::Malformed(m) => ApiError::new(
            "AuthFailure.SignatureFailure",
            format!("The provided credentials could not be validated: {m}."),
        ),
        AuthError::UnknownKey => ApiError::new(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        ),
        AuthError::Expired(m) => ApiError::new(
            "AuthFailure.SignatureExpire",
            format!("Signature expired. Timestamp and server time cannot differ by more than five minutes ({m})."),
        ),
        AuthError::Mismatch { .. } => ApiError::new(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ),
        AuthError::UnsupportedMethod(m) => {
            ApiError::new("AuthFailure.InvalidAuthorization", format!("Unsupported signature method: {m}."))
        }
        AuthError::PayloadHash => {
            ApiError::new("AuthFailure.SignatureFailure", "The request body does not match its signed hash.")
        }
        AuthError::InvalidNonce(m) => ApiError::new("InvalidParameterValue", format!("{m}.")),
        AuthError::Unbound(m) => {
            ApiError::new("AuthFailure.SignatureFailure", format!("The signature does not cover the request: {m}."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_to_documented_parent() {
        let e = ApiError::new("UnsupportedOperation.InvalidState", "x");
        assert_eq!(e.clone().narrow(&["UnsupportedOperation.InvalidState"]).code, "UnsupportedOperation.InvalidState");
        assert_eq!(e.clone().narrow(&["ResourceNotFound", "UnsupportedOperation"]).code, "UnsupportedOperation");
        assert_eq!(e.narrow(&[]).code, "UnsupportedOperation.InvalidState");
    }

    #[test]
    fn cvm_instance_state_codes() {
        let e = Error::InvalidState { kind: Kind::Instance, id: "ins-1".into(), state: "running".into() };
        assert_eq!(from_domain(e, Service::Cvm).code, "UnsupportedOperation.InstanceStateRunning");
    }
}
