//! CAM resource names of what a request touches, for resource-level authorization.
//!
//! Six segments, `qcs::<service>:<region>:uin/<account>:<type>/<id>`, with the service and type
//! pairs Tencent uses for these resources: ENIs `vpc`/`eni`, VPCs `vpc`/`vpc`, subnets
//! `vpc`/`subnet`, security groups `cvm`/`sg`, instances `cvm`/`instance`. The region is the
//! request's (`X-TC-Region`, else the default region), which is also the region the handler
//! acts in. Every action declares ([`Touches`]) the type it acts on and the parameters that
//! name resources; authorization checks each named resource, plus the type-level
//! `<type>/*` when the request names none of the action's own type (creating, listing all), and
//! the account-level `qcs::<service>:<region>:uin/<account>:*` for actions on no resource type.

use eniplane_api::resources::{named_ids, Named};
use eniplane_core::ids::{self, IdKind};
use eniplane_core::Cloud;
use serde_json::Value;

use crate::error::ApiError;

/// A resource type as CAM names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Res {
    /// `vpc`/`eni`.
    Eni,
    /// `vpc`/`vpc`.
    Vpc,
    /// `vpc`/`subnet`.
    Subnet,
    /// `cvm`/`sg`.
    SecurityGroup,
    /// `cvm`/`instance`.
    Instance,
    /// An instance or an ENI, told apart by the ID's prefix (`DescribeNetworkInterfaceLimit`).
    InstanceOrEni,
    /// No resource type: the account-level resource of the action's service.
    Account,
}

impl Res {
    /// `(service, type)` of an ID of this type.
    fn segments(self, id: &str) -> Option<(&'static str, &'static str)> {
        match self {
            Res::Eni => Some(("vpc", "eni")),
            Res::Vpc => Some(("vpc", "vpc")),
            Res::Subnet => Some(("vpc", "subnet")),
            Res::SecurityGroup => Some(("cvm", "sg")),
            Res::Instance => Some(("cvm", "instance")),
            Res::InstanceOrEni if id.starts_with(ids::prefix(Cloud::Tencent, IdKind::Eni)) => Res::Eni.segments(id),
            Res::InstanceOrEni => Res::Instance.segments(id),
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

/// Where resources live: the request's region and the caller's account, and the action's
/// service for account-level names.
pub(crate) struct Place<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
}

impl Place<'_> {
    fn name(&self, service: &str, rest: &str) -> String {
        format!("qcs::{service}:{}:uin/{}:{rest}", self.region, self.account)
    }
}

/// Every resource name the request touches, sorted and without repeats. A list naming more
/// than the input limit allows is `InvalidParameterValue.LimitExceeded`.
pub(crate) fn resources(touches: &Touches, params: &Value, place: &Place) -> Result<Vec<String>, ApiError> {
    let named = named_ids(params, touches.names)
        .map_err(|e| ApiError::new("InvalidParameterValue.LimitExceeded", e.to_string()))?;
    let mut out: Vec<String> = named
        .iter()
        .filter_map(|(res, id)| res.segments(id).map(|(service, kind)| place.name(service, &format!("{kind}/{id}"))))
        .collect();
    let names_own_type = named.iter().any(|(res, _)| *res == touches.on);
    if !names_own_type {
        out.push(match touches.on.segments("") {
            Some((service, kind)) => place.name(service, &format!("{kind}/*")),
            None => place.name(place.service, "*"),
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

    const PLACE: Place = Place { service: "vpc", region: "ap-guangzhou", account: "100" };

    #[test]
    fn named_resources_and_type_level_fallback() {
        const T: Touches = Touches {
            on: Res::Eni,
            names: &[many("NetworkInterfaceIds", Res::Eni), many("SecurityGroupIds", Res::SecurityGroup)],
        };
        let t = &T;
        let got =
            resources(t, &json!({"NetworkInterfaceIds": ["eni-1", "eni-1"], "SecurityGroupIds": ["sg-1"]}), &PLACE)
                .unwrap();
        assert_eq!(
            got,
            vec!["qcs::cvm:ap-guangzhou:uin/100:sg/sg-1", "qcs::vpc:ap-guangzhou:uin/100:eni/eni-1"],
            "sorted, without repeats"
        );
        let got = resources(t, &json!({"SecurityGroupIds": ["sg-1"]}), &PLACE).unwrap();
        assert!(got.contains(&"qcs::vpc:ap-guangzhou:uin/100:eni/*".to_string()), "{got:?}");
    }

    #[test]
    fn creates_check_the_type_and_what_they_use() {
        const T: Touches = Touches {
            on: Res::Instance,
            names: &[
                one("VirtualPrivateCloud.VpcId", Res::Vpc),
                one("VirtualPrivateCloud.SubnetId", Res::Subnet),
                many("SecurityGroupIds", Res::SecurityGroup),
            ],
        };
        let t = &T;
        let params =
            json!({"VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"}, "SecurityGroupIds": "sg-1"});
        assert_eq!(
            resources(t, &params, &PLACE).unwrap(),
            vec![
                "qcs::cvm:ap-guangzhou:uin/100:instance/*",
                "qcs::cvm:ap-guangzhou:uin/100:sg/sg-1",
                "qcs::vpc:ap-guangzhou:uin/100:subnet/subnet-1",
                "qcs::vpc:ap-guangzhou:uin/100:vpc/vpc-1",
            ]
        );
    }

    #[test]
    fn account_level_and_prefix_typed() {
        let none = Touches { on: Res::Account, names: &[] };
        assert_eq!(resources(&none, &json!({}), &PLACE).unwrap(), vec!["qcs::vpc:ap-guangzhou:uin/100:*"]);
        const LIMIT: Touches = Touches { on: Res::InstanceOrEni, names: &[one("InstanceId", Res::InstanceOrEni)] };
        let limit = &LIMIT;
        assert_eq!(
            resources(limit, &json!({"InstanceId": "eni-12345678"}), &PLACE).unwrap(),
            vec!["qcs::vpc:ap-guangzhou:uin/100:eni/eni-12345678"]
        );
        assert_eq!(
            resources(limit, &json!({"InstanceId": "ins-12345678"}), &PLACE).unwrap(),
            vec!["qcs::cvm:ap-guangzhou:uin/100:instance/ins-12345678"]
        );
    }

    #[test]
    fn too_many_ids_is_the_documented_limit_code() {
        const T: Touches = Touches { on: Res::Eni, names: &[many("NetworkInterfaceIds", Res::Eni)] };
        let t = &T;
        let ids: Vec<String> = (0..101).map(|i| format!("eni-{i}")).collect();
        let e = resources(t, &json!({ "NetworkInterfaceIds": ids }), &PLACE).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue.LimitExceeded");
        assert!(e.message.contains("NetworkInterfaceIds"), "{}", e.message);
    }
}
