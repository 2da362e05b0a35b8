//! Domain resources rendered as ENS response models, with exactly the documented JSON keys,
//! wrapper objects (`{"NetworkInterfaceSet": [...]}`) and JSON types; one file per resource.

use eniplane_core::model::{
    Direction, Eni, EniState, Instance, InstanceState, IpState, Rule, SecurityGroup, Subnet, Tag, Vpc,
};
use eniplane_core::time::format_iso;
use serde::Serialize;

/// A wrapper object around a list, named by `key` in each use (`{"SecurityGroup": [...]}`).
macro_rules! wrapper {
    ($name:ident, $key:literal, $item:ty) => {
        #[derive(Serialize, Default)]
        pub(crate) struct $name {
            #[serde(rename = $key)]
            pub items: Vec<$item>,
        }
        impl From<Vec<$item>> for $name {
            fn from(items: Vec<$item>) -> Self {
                Self { items }
            }
        }
    };
}

mod eni;
mod instance;
mod network;
mod security_group;

pub(crate) use eni::*;
pub(crate) use instance::*;
pub(crate) use network::*;
pub(crate) use security_group::*;

wrapper!(PrivateIpSets, "PrivateIpSet", PrivateIpView);
wrapper!(Ipv6Sets, "Ipv6Set", Ipv6View);
wrapper!(EniGroupIds, "SecurityGroup", String);
wrapper!(InstanceGroupIds, "SecurityGroupId", String);
wrapper!(InstanceIdList, "InstanceId", String);
wrapper!(EniIdList, "NetworkInterfaceId", String);
wrapper!(VSwitchIdList, "VSwitchId", String);
wrapper!(RouteTableIdList, "RouteTableId", String);
wrapper!(SecondaryCidrList, "SecondaryCidrBlock", String);
wrapper!(Ipv6CidrList, "Ipv6CidrBlock", Ipv6CidrView);
wrapper!(TagList, "Tag", TagView);
wrapper!(InstanceTagList, "Tags", InstanceTagView);
wrapper!(HaVipIdList, "HaVipId", String);
wrapper!(LoadBalancerIdList, "LoadBalancerId", String);
wrapper!(NatGatewayIdList, "NatGatewayId", String);
wrapper!(IpAddressList, "IpAddress", String);
wrapper!(Permissions, "Permission", PermissionView);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_keys_follow_the_models() {
        let v = serde_json::to_value(EniGroupIds::from(vec!["sg-1".to_string()])).unwrap();
        assert_eq!(v, serde_json::json!({"SecurityGroup": ["sg-1"]}));
        let v = serde_json::to_value(InstanceGroupIds::from(vec!["sg-1".to_string()])).unwrap();
        assert_eq!(v, serde_json::json!({"SecurityGroupId": ["sg-1"]}));
        assert_eq!(instance_status(InstanceState::Terminating), "Releasing");
        assert_eq!(eni_status(EniState::InUse), "InUse");
    }
}
