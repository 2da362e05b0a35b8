//! Action and resource patterns of a policy statement: their syntax, checked when a document is parsed, and how
//! they match a request.
//!
//! Resources, segment by segment (each segment a `*` / `?` glob, case-sensitive):
//! * CAM `qcs::<service>:<region>:<account>:<type>/<id>`: the project segment stays empty (CAM forbids it); an
//!   empty service or region means every one; the account is `uin/<id>`, `*`, or empty for the signing key's own
//!   account.
//! * RAM `acs:<service>:<region>:<account>:<type>/<id>`: the service and account are required (`*` allowed); an
//!   empty region means every region (the ENS documentation writes `acs:ens::<account>:*`).
//! * `<type>/<id>` may be `*` alone; otherwise the type is `[A-Za-z0-9_-]` (or wildcards) and the id any printable
//!   ASCII without spaces.

use super::{wildcard_match, PolicyError};

/// Services eniplane serves; an action or resource must name one of them (or a wildcard matching one), since a
/// pattern for another service could never match and would hide a typo in a Deny.
pub const SERVICES: [&str; 3] = ["vpc", "cvm", "ens"];

fn refuse(what: &str, pattern: &str, why: &str) -> PolicyError {
    PolicyError(format!("{what} {pattern:?} is not valid: {why}"))
}

fn all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

/// Services whose resources each grammar names.
const CAM_SERVICES: [&str; 2] = ["vpc", "cvm"];
const RAM_SERVICES: [&str; 1] = ["ens"];

fn names_a_service(glob: &str, services: &[&str]) -> bool {
    services.iter().any(|s| wildcard_match(glob, s, true))
}

/// An action pattern, stored lower-cased (actions match case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern(String);

impl ActionPattern {
    /// Checks `*` or `[name/]<service>:<action>`.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let refuse = |why: &str| refuse("action", text, why);
        if all_stars(text) {
            return Ok(Self("*".into()));
        }
        let bare = text.strip_prefix("name/").unwrap_or(text);
        let Some((service, name)) = bare.split_once(':') else {
            return Err(refuse("expected * or <service>:<action>, e.g. vpc:DescribeVpcs"));
        };
        if service.is_empty() || !service.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?')) {
            return Err(refuse("the service is letters and digits, e.g. vpc, cvm, ens"));
        }
        if !names_a_service(service, &SERVICES) {
            return Err(refuse("eniplane serves the vpc, cvm and ens services only"));
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?')) {
            return Err(refuse("the action name is letters and digits with * or ? wildcards"));
        }
        Ok(Self(format!("{service}:{name}").to_lowercase()))
    }

    /// Whether `action` (`service:Name`, any case) matches.
    pub fn matches(&self, action: &str) -> bool {
        wildcard_match(&self.0, action, true)
    }
}

/// Which cloud's resource grammar a string follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grammar {
    /// Tencent CAM, `qcs::…`.
    Cam,
    /// Alibaba RAM, `acs:…`.
    Ram,
}

/// The four segments after the prefix: service, region, account, `<type>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segments {
    grammar: Grammar,
    service: String,
    region: String,
    account: String,
    resource: String,
}

/// Splits a resource string into its grammar and segments, without judging the segments.
fn split(text: &str) -> Option<Segments> {
    let (grammar, rest) = if let Some(rest) = text.strip_prefix("qcs::") {
        (Grammar::Cam, rest)
    } else if let Some(rest) = text.strip_prefix("acs:") {
        (Grammar::Ram, rest)
    } else {
        return None;
    };
    let mut parts = rest.splitn(4, ':');
    let (service, region, account, resource) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(Segments {
        grammar,
        service: service.into(),
        region: region.into(),
        account: account.into(),
        resource: resource.into(),
    })
}

/// A resource pattern from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourcePattern {
    /// `*`: every resource.
    Any,
    /// A CAM or RAM resource with glob segments.
    Named(NamedPattern),
}

/// A CAM or RAM resource pattern, segment by segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPattern(Segments);

fn check_region(region: &str) -> bool {
    region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'*' | b'?'))
}

fn check_resource(resource: &str) -> Result<(), &'static str> {
    if all_stars(resource) {
        return Ok(());
    }
    let Some((kind, id)) = resource.split_once('/') else {
        return Err("the last segment is * or <type>/<id>, e.g. eni/eni-12345678 or instance/*");
    };
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'*' | b'?')) {
        return Err("the resource type is letters, digits, - and _");
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the resource id is printable ASCII without spaces");
    }
    Ok(())
}

impl ResourcePattern {
    /// Checks `*`, a CAM or a RAM resource (see the module docs).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let refuse = |why: &str| refuse("resource", text, why);
        if all_stars(text) {
            return Ok(Self::Any);
        }
        let Some(seg) = split(text) else {
            return Err(refuse(
                "expected *, qcs::<service>:<region>:<account>:<type>/<id> (CAM) \
                 or acs:<service>:<region>:<account>:<type>/<id> (RAM)",
            ));
        };
        let services: &[&str] = if seg.grammar == Grammar::Cam { &CAM_SERVICES } else { &RAM_SERVICES };
        let service_ok = !seg.service.is_empty()
            && seg.service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'*')
            && names_a_service(&seg.service, services);
        match seg.grammar {
            Grammar::Cam if !seg.service.is_empty() && !service_ok => {
                return Err(refuse("the service is vpc or cvm (empty for every service)"));
            }
            Grammar::Ram if !service_ok => return Err(refuse("the service is ens")),
            _ => {}
        }
        if !check_region(&seg.region) {
            return Err(refuse("the region is lower-case letters, digits and - (empty for every region)"));
        }
        let account_ok = match seg.grammar {
            Grammar::Cam => {
                seg.account.is_empty()
                    || all_stars(&seg.account)
                    || seg.account.strip_prefix("uin/").is_some_and(|id| {
                        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'?'))
                    })
            }
            Grammar::Ram => {
                !seg.account.is_empty() && seg.account.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'?'))
            }
        };
        if !account_ok {
            return Err(refuse(match seg.grammar {
                Grammar::Cam => "the account is uin/<account id>, * or empty (the key's own account)",
                Grammar::Ram => "the account is the account id or *",
            }));
        }
        check_resource(&seg.resource).map_err(refuse)?;
        Ok(Self::Named(NamedPattern(seg)))
    }

    /// Whether the pattern covers `resource` for certain (every value of an unknown segment).
    pub fn covers(&self, resource: &RequestResource, account: &str) -> bool {
        match (self, &resource.0) {
            (Self::Any, _) => true,
            (Self::Named(p), Some(r)) => p.matches(r, account, Certainty::Certain),
            (Self::Named(_), None) => false,
        }
    }

    /// Whether the pattern may cover `resource` (some value of an unknown segment).
    pub fn may_cover(&self, resource: &RequestResource, account: &str) -> bool {
        match (self, &resource.0) {
            (Self::Any, _) | (Self::Named(_), None) => true,
            (Self::Named(p), Some(r)) => p.matches(r, account, Certainty::Possible),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Certainty {
    Certain,
    Possible,
}

/// How an empty pattern segment reads.
#[derive(Clone, Copy)]
enum Empty {
    /// Every value.
    Any,
    /// The signing key's own account (CAM).
    OwnAccount,
    /// Only an empty value.
    Itself,
}

impl NamedPattern {
    fn matches(&self, r: &Segments, account: &str, how: Certainty) -> bool {
        let p = &self.0;
        if p.grammar != r.grammar {
            return false;
        }
        let own = format!("uin/{account}");
        let segment = |pat: &str, value: &str, empty: Empty| -> bool {
            if value == "*" {
                // Not known: certain only when the pattern takes every value, possible always.
                return how == Certainty::Possible || (pat.is_empty() && matches!(empty, Empty::Any)) || all_stars(pat);
            }
            match (pat.is_empty(), empty) {
                (true, Empty::Any) => true,
                (true, Empty::OwnAccount) => value == own,
                _ => wildcard_match(pat, value, false),
            }
        };
        let (service_empty, account_empty) = match p.grammar {
            Grammar::Cam => (Empty::Any, Empty::OwnAccount),
            Grammar::Ram => (Empty::Itself, Empty::Itself),
        };
        segment(&p.service, &r.service, service_empty)
            && segment(&p.region, &r.region, Empty::Any)
            && segment(&p.account, &r.account, account_empty)
            && segment(&p.resource, &r.resource, Empty::Itself)
    }
}

/// A request's resource as the dialect names it; segments it cannot name are `*`. A string that is `*` or not a
/// CAM or RAM resource at all is wholly unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestResource(Option<Segments>);

impl RequestResource {
    /// Reads a resource string built by a dialect.
    pub fn parse(text: &str) -> Self {
        Self(split(text))
    }
}
