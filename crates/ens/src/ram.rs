//! RAM resource names of what a request touches, for resource-level authorization.
//!
//! `acs:ens:*:<account>:<type>/<id>` with the types `instance`, `networkinterface`,
//! `securitygroup`, `network` and `vswitch`. The region segment is always `*`, as the ENS
//! pages document their resources (`acs:ens:*:{#accountId}:instance/{#InstanceId}`): ENS
//! requests name resources by ID without a region, and security groups are account-level. Every
//! action declares ([`Touches`]) the type it acts on and the parameters that name resources;
//! authorization checks each named resource, plus the type-level `<type>/*` when the request
//! names none of the action's own type (creating, listing all), and `acs:ens:*:<account>:*` for
//! actions on no resource type.

use eniplane_api::resources::{named_ids, Named};
use eniplane_core::ids::{self, IdKind};
use eniplane_core::Cloud;
use serde_json::Value;

use crate::error::ApiError;

/// A resource type as RAM names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Res {
    /// `instance`.
    Instance,
    /// `networkinterface`.
    NetworkInterface,
    /// `securitygroup`.
    SecurityGroup,
    /// `network`.
    Network,
    /// `vswitch`.
    VSwitch,
    /// What `ReleaseInstance` releases: an instance, a network or a vSwitch, by ID prefix.
    Released,
    /// No resource type: `acs:ens:*:<account>:*`.
    Account,
}

impl Res {
    /// The type segment of an ID of this type.
    fn segment(self, id: &str) -> Option<&'static str> {
        let has = |kind| id.starts_with(ids::prefix(Cloud::Ens, kind));
        match self {
            Res::Instance => Some("instance"),
            Res::NetworkInterface => Some("networkinterface"),
            Res::SecurityGroup => Some("securitygroup"),
            Res::Network => Some("network"),
            Res::VSwitch => Some("vswitch"),
            Res::Released if has(IdKind::Vpc) => Res::Network.segment(id),
            Res::Released if has(IdKind::Subnet) => Res::VSwitch.segment(id),
            Res::Released => Res::Instance.segment(id),
            Res::Account => None,
        }
    }
}

/// What an action touches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Touches {
    /// The type the action acts on ([`Res::Account`] for none).
    pub on: Res,
    /// The parameters naming resources.
    pub names: &'static [Named<Res>],
}

/// Every resource name the request touches, sorted and without repeats. A list naming more than
/// the input limit allows is `InvalidParameter` naming the parameter.
pub(crate) fn resources(touches: &Touches, params: &Value, account: &str) -> Result<Vec<String>, ApiError> {
    let named = named_ids(params, touches.names).map_err(|e| ApiError::new("InvalidParameter", e.to_string()))?;
    let name = |rest: &str| format!("acs:ens:*:{account}:{rest}");
    let mut out: Vec<String> =
        named.iter().filter_map(|(res, id)| res.segment(id).map(|kind| name(&format!("{kind}/{id}")))).collect();
    if !named.iter().any(|(res, _)| *res == touches.on) {
        out.push(match touches.on.segment("") {
            Some(kind) => name(&format!("{kind}/*")),
            None => name("*"),
        });
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eniplane_api::resources::{many, one};
    use serde_json::json;

    #[test]
    fn one_instance_and_a_list_of_it_name_the_same_resource() {
        const ONE: Touches = Touches { on: Res::Instance, names: &[one("InstanceId", Res::Instance)] };
        const MANY: Touches = Touches { on: Res::Instance, names: &[many("InstanceIds", Res::Instance)] };
        let single = resources(&ONE, &json!({"InstanceId": "i-abcd"}), "7").unwrap();
        assert_eq!(single, vec!["acs:ens:*:7:instance/i-abcd"]);
        assert_eq!(resources(&MANY, &json!({"InstanceIds": "[\"i-abcd\"]"}), "7").unwrap(), single);
        assert_eq!(resources(&MANY, &json!({"InstanceIds": ["i-abcd"]}), "7").unwrap(), single);
    }

    #[test]
    fn released_resources_by_prefix_and_fallbacks() {
        const RELEASE: Touches = Touches { on: Res::Released, names: &[one("InstanceId", Res::Released)] };
        let got = |id: &str| resources(&RELEASE, &json!({ "InstanceId": id }), "7").unwrap();
        assert_eq!(got("n-abcd"), vec!["acs:ens:*:7:network/n-abcd"]);
        assert_eq!(got("vsw-abcd"), vec!["acs:ens:*:7:vswitch/vsw-abcd"]);
        assert_eq!(got("i-abcd"), vec!["acs:ens:*:7:instance/i-abcd"]);
        const NEW_ENI: Touches = Touches {
            on: Res::NetworkInterface,
            names: &[many("SecurityGroupIds", Res::SecurityGroup), one("VSwitchId", Res::VSwitch)],
        };
        assert_eq!(
            resources(&NEW_ENI, &json!({"VSwitchId": "vsw-1", "SecurityGroupIds.1": "x"}), "7").unwrap(),
            vec!["acs:ens:*:7:networkinterface/*", "acs:ens:*:7:vswitch/vsw-1"]
        );
        const NONE: Touches = Touches { on: Res::Account, names: &[] };
        assert_eq!(resources(&NONE, &json!({}), "7").unwrap(), vec!["acs:ens:*:7:*"]);
    }
}
