//! ENS error codes, HTTP statuses and the one place domain and authentication errors become them.

use eniplane_api::HttpResponse;
use eniplane_auth::AuthError;
use eniplane_core::{Error, Kind, Quota};
use serde::Serialize;

/// An error as the wire shows it: HTTP status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (400 business, 403/404 gateway, 500 internal).
    pub status: u16,
    /// ENS error code, e.g. `InvalidEniId.NotFound`.
    pub code: String,
    /// Human message.
    pub message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a> {
    request_id: &'a str,
    host_id: &'a str,
    code: &'a str,
    message: &'a str,
    recommend: String,
}

impl ApiError {
    /// A 400 error.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::with_status(400, code, message)
    }

    /// An error with an explicit status.
    pub fn with_status(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into() }
    }

    /// `MissingParameter` naming the parameter.
    pub fn missing(field: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!("The input parameter \"{field}\" that is mandatory for processing this request is not supplied."),
        )
    }

    /// `InvalidParameter.<Field>`.
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            format!("InvalidParameter.{field}"),
            format!("The specified field {field} invalid. Please check it again. ({why})"),
        )
    }

    /// Renders the error envelope.
    pub fn render(&self, request_id: &str) -> HttpResponse {
        let body = Envelope {
            request_id,
            host_id: "ens.aliyuncs.com",
            code: &self.code,
            message: &self.message,
            recommend: format!("https://api.aliyun.com/troubleshoot?q={}&product=Ens", self.code),
        };
        HttpResponse::json(self.status, crate::CONTENT_TYPE, serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Which family of action failed; a few codes differ between them (documented per action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// ENI, network, vSwitch and security group actions.
    Network,
    /// Instance lifecycle actions (Start/Stop/Reboot/Release/Modify).
    Instance,
    /// `StopInstance`/`StopInstances`, documented with `InstanceIdNotFound`.
    Stop,
    /// `RunInstances`.
    Run,
}

fn field_code(field: &str) -> String {
    let f: String = field.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if f.is_empty() {
        "InvalidParameter".into()
    } else {
        format!("InvalidParameter.{f}")
    }
}

/// Maps a domain error to the wire, exhaustively over [`Error`]: status, code and (where the
/// docs give one) the documented message; otherwise the domain's own message.
pub fn from_domain(e: Error, family: Family) -> ApiError {
    let msg = e.to_string();
    let eni_status = || format!("Current eni status does not support this operation. ({msg})");
    let (status, code, message): (u16, &str, String) = match &e {
        Error::NotFound { kind, .. } => match (kind, family) {
            (Kind::Eni, _) => (400, "InvalidEniId.NotFound", "The specified NetworkInterfaceId does not exist.".into()),
            (Kind::Instance, Family::Stop) => (400, "InstanceIdNotFound", msg.clone()),
            (Kind::Instance, _) => (400, "InstanceNotFound", msg.clone()),
            (Kind::SecurityGroup, _) => (400, "InvalidSecurityGroupId.NotFound", msg.clone()),
            (Kind::Vpc, _) => (400, "InvalidNetworkId.NotFound", msg.clone()),
            (Kind::Subnet, _) => (400, "InvalidVSwitchId.NotFound", msg.clone()),
            (Kind::PrivateIp, _) => (400, "InvalidPrivateIpAddress.NotFound", msg.clone()),
            (Kind::Rule, _) => (400, "InvalidPermission.NotFound", msg.clone()),
            (Kind::Task, _) => (400, "ens.interface.error", msg.clone()),
        },
        Error::Malformed { field, .. } | Error::InvalidValue { field, .. } | Error::TooMany { field, .. } => {
            return ApiError::new(field_code(field), msg.clone());
        }
        Error::Missing { .. } => (400, "MissingParameter", msg.clone()),
        Error::InvalidState { kind, .. } => match (kind, family) {
            (Kind::Eni, _) => (400, "InvalidOperation.InvalidEniStatus", eni_status()),
            (Kind::Instance, Family::Instance | Family::Stop) => (400, "IncorrectInstanceStatus", msg.clone()),
            (Kind::Instance, _) => (
                400,
                "InvalidOperation.InvalidEnsStatus",
                format!("Current instance status does not support this operation. ({msg})"),
            ),
            (Kind::PrivateIp, _) => (400, "IncorrectPrivateIpAddressStatus", msg.clone()),
            (Kind::Vpc | Kind::Subnet | Kind::SecurityGroup | Kind::Task | Kind::Rule, _) => {
                (400, "IncorrectStatus", msg.clone())
            }
        },
        Error::PrimaryEni { .. } => {
            (400, "InvalidOperation.InvalidEniType", "The type of eni does not support this operation.".into())
        }
        Error::AlreadyAttached { .. } | Error::NotAttached { .. } => {
            (400, "InvalidOperation.InvalidEniStatus", eni_status())
        }
        Error::ZoneMismatch { .. } => (400, "InvalidOperation.InstanceNotSupport", msg.clone()),
        Error::VpcMismatch { .. } => match family {
            Family::Run => (400, "InvalidParameter.NetWorkId", msg.clone()),
            Family::Network | Family::Instance | Family::Stop => {
                (400, "InvalidOperation.InstanceNotSupport", msg.clone())
            }
        },
        Error::NoSecurityGroup { .. } => (400, "InvalidParameter.SecurityGroupIds", msg.clone()),
        Error::QuotaExceeded { quota, .. } => (
            400,
            match quota {
                Quota::EnisPerInstance => "InvalidOperation.EniCountExceeded",
                Quota::IpsPerEni => "QuotaExceeded.PrivateIpAddress",
                Quota::GroupsPerEni => "QuotaExceeded.SecurityGroupsPerEni",
                Quota::GroupsPerRegion => "QuotaExceeded.SecurityGroup",
                Quota::RulesPerGroup => "QuotaExceeded.Permission",
                Quota::VpcsPerRegion => "QuotaExceeded.Network",
                Quota::SubnetsPerVpc => "QuotaExceeded.VSwitch",
                Quota::EnisPerVpc => "QuotaExceeded.NetworkInterface",
            },
            msg.clone(),
        ),
        Error::SubnetExhausted { .. } => (400, "InvalidVSwitchId.IpNotEnough", msg.clone()),
        Error::AddressInUse { .. } => (400, "InvalidPrivateIpAddress.Duplicated", msg.clone()),
        Error::AddressOutOfSubnet { .. } => (400, "InvalidParameter.PrivateIpAddress", msg.clone()),
        Error::PrimaryIp { .. } => (400, "InvalidOperation.PrimaryPrivateIpAddress", msg.clone()),
        Error::IpNotOnEni { .. } => (400, "InvalidPrivateIpAddress.NotFound", msg.clone()),
        Error::InUse { .. } => (400, "DependencyViolation", msg.clone()),
        Error::CidrConflict { .. } => (400, "InvalidParameter.CidrBlock", msg.clone()),
        Error::ServiceManaged { .. } => {
            (400, "InvalidParameter.EniServiceManaged", "The eni is managed by service.".into())
        }
        Error::LastSecurityGroup { .. } => (400, "InstanceLastSecurityGroup", msg.clone()),
        Error::Duplicate { .. } => (400, "InvalidPermission.Duplicate", msg.clone()),
        Error::Store(_) => {
            tracing::error!(error = %e, "store failure");
            (
                500,
                "InternalError",
                "The request processing has failed due to some unknown error, exception or failure.".into(),
            )
        }
    };
    ApiError::with_status(status, code, message)
}

/// Maps a signature failure to the wire; `v1` tells which scheme was used.
pub fn from_auth(e: &AuthError, v1: bool) -> ApiError {
    match e {
        AuthError::Missing(m) if v1 => ApiError::missing(m),
        AuthError::Missing(m) => ApiError::new(
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {m} is missing."),
        ),
        AuthError::Malformed(m) if m.contains("Timestamp") || m.contains("x-acs-date") => ApiError::new(
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value is not well formatted: {m}."),
        ),
        AuthError::Malformed(m) => ApiError::new(
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {m}."),
        ),
        AuthError::UnknownKey => {
            ApiError::with_status(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        }
        AuthError::Expired(m) => {
            ApiError::new("InvalidTimeStamp.Expired", format!("Specified time stamp or date value is expired. ({m})"))
        }
        AuthError::Mismatch { string_to_sign } => ApiError::new(
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ),
        AuthError::UnsupportedMethod(m) => ApiError::new(
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: unsupported signature method {m}."),
        ),
        AuthError::PayloadHash => ApiError::new(
            "SignatureDoesNotMatch",
            "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
        ),
        AuthError::InvalidNonce(m) => {
            ApiError::new("InvalidParameter", format!("The specified nonce is not valid: {m}."))
        }
        AuthError::Unbound(m) => ApiError::new(
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {m}."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_codes() {
        let e = Error::PrimaryEni { id: "eni-1".into() };
        assert_eq!(from_domain(e, Family::Network).code, "InvalidOperation.InvalidEniType");
        let e = Error::InvalidState { kind: Kind::Instance, id: "i-1".into(), state: "running".into() };
        assert_eq!(from_domain(e.clone(), Family::Network).code, "InvalidOperation.InvalidEnsStatus");
        assert_eq!(from_domain(e, Family::Instance).code, "IncorrectInstanceStatus");
        let e = Error::NotFound { kind: Kind::Instance, id: "i-1".into() };
        assert_eq!(from_domain(e.clone(), Family::Stop).code, "InstanceIdNotFound");
        assert_eq!(from_domain(e, Family::Instance).code, "InstanceNotFound");
        let e = Error::Store(eniplane_store::StoreError::Unavailable("x".into()));
        let mapped = from_domain(e, Family::Network);
        assert_eq!((mapped.status, mapped.code.as_str()), (500, "InternalError"));
        let e = Error::Malformed { field: "CidrBlock".into(), value: "x".into() };
        assert_eq!(from_domain(e, Family::Network).code, "InvalidParameter.CidrBlock");
    }

    #[test]
    fn signature_mismatch_message_carries_string_to_sign_after_colon() {
        let e = from_auth(&AuthError::Mismatch { string_to_sign: "POST&%2F&a".into() }, true);
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message.split(':').nth(1), Some("POST&%2F&a"));
        assert_eq!(from_auth(&AuthError::UnknownKey, true).status, 404);
    }
}
