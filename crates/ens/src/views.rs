//! Domain resources rendered as ENS response models, with exactly the documented JSON keys,
//! wrapper objects (`{"NetworkInterfaceSet": [...]}`) and JSON types.

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

/// `Ipv6Set` item (eniplane assigns no IPv6 addresses).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Ipv6View {
    ipv6_address: String,
}

/// `Ipv6CidrBlock` item (none assigned).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Ipv6CidrView {
    ipv6_cidr_block: String,
    ipv6_isp: String,
    #[serde(rename = "Type")]
    kind: String,
}

/// `PrivateIpSet` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PrivateIpView {
    private_ip_address: String,
    primary: bool,
    private_ip_status: &'static str,
}

/// ENI `Status`.
pub(crate) fn eni_status(s: EniState) -> &'static str {
    match s {
        EniState::Creating => "Creating",
        EniState::Available => "Available",
        EniState::Attaching => "Attaching",
        EniState::InUse => "InUse",
        EniState::Detaching => "Detaching",
        EniState::Deleting => "Deleting",
    }
}

/// ENI `Type`.
pub(crate) fn eni_type(e: &Eni) -> &'static str {
    if e.primary {
        "Primary"
    } else {
        "Secondary"
    }
}

fn ip_status(s: IpState) -> &'static str {
    match s {
        IpState::Pending | IpState::Migrating => "Assigning",
        IpState::Available => "Available",
        IpState::Deleting => "Unassigning",
    }
}

/// `NetworkInterfaceSet` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EniView {
    network_interface_id: String,
    network_interface_name: String,
    description: String,
    status: &'static str,
    #[serde(rename = "Type")]
    kind: &'static str,
    instance_id: String,
    ens_region_id: String,
    network_id: String,
    #[serde(rename = "VSwitchId")]
    vswitch_id: String,
    mac_address: String,
    primary_ip: String,
    primary_ip_type: &'static str,
    private_ip_sets: PrivateIpSets,
    ipv6_sets: Ipv6Sets,
    security_group_ids: EniGroupIds,
    creation_time: String,
    vmnc_learn: bool,
}

pub(crate) fn eni(e: &Eni) -> EniView {
    EniView {
        network_interface_id: e.id.clone(),
        network_interface_name: e.name.clone(),
        description: e.description.clone(),
        status: eni_status(e.state),
        kind: eni_type(e),
        instance_id: e.instance_id().unwrap_or_default().to_string(),
        ens_region_id: e.scope.region.clone(),
        network_id: e.vpc_id.clone(),
        vswitch_id: e.subnet_id.clone(),
        mac_address: e.mac.clone(),
        primary_ip: e.primary_ip().to_string(),
        primary_ip_type: "Private",
        private_ip_sets: e
            .private_ips
            .iter()
            .map(|p| PrivateIpView {
                private_ip_address: p.address.clone(),
                primary: p.primary,
                private_ip_status: ip_status(p.state),
            })
            .collect::<Vec<_>>()
            .into(),
        ipv6_sets: Ipv6Sets::default(),
        security_group_ids: e.security_group_ids.clone().into(),
        creation_time: format_iso(e.created_at),
        vmnc_learn: false,
    }
}

/// `Permission` item (DescribeSecurityGroupAttribute).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PermissionView {
    direction: &'static str,
    ip_protocol: String,
    policy: String,
    port_range: String,
    source_port_range: String,
    priority: i64,
    source_cidr_ip: String,
    dest_cidr_ip: String,
    ipv6_source_cidr_ip: String,
    ipv6_dest_cidr_ip: String,
    description: String,
    creation_time: String,
}

fn permission(r: &Rule, d: Direction) -> PermissionView {
    let (src, dst, src6, dst6) = match d {
        Direction::Ingress => (r.cidr.clone(), String::new(), r.ipv6_cidr.clone(), String::new()),
        Direction::Egress => (String::new(), r.cidr.clone(), String::new(), r.ipv6_cidr.clone()),
    };
    PermissionView {
        direction: match d {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        },
        ip_protocol: r.protocol.clone(),
        policy: r.action.clone(),
        port_range: r.port.clone(),
        source_port_range: r.source_port.clone(),
        priority: r.priority,
        source_cidr_ip: src,
        dest_cidr_ip: dst,
        ipv6_source_cidr_ip: src6,
        ipv6_dest_cidr_ip: dst6,
        description: r.description.clone(),
        creation_time: format_iso(r.created_at),
    }
}

/// Rules of a group, ingress first.
pub(crate) fn permissions(sg: &SecurityGroup) -> Permissions {
    let mut v: Vec<PermissionView> = sg.ingress.iter().map(|r| permission(r, Direction::Ingress)).collect();
    v.extend(sg.egress.iter().map(|r| permission(r, Direction::Egress)));
    v.into()
}

/// `SecurityGroup` item (DescribeSecurityGroups).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SecurityGroupView {
    security_group_id: String,
    security_group_name: String,
    description: String,
    creation_time: String,
    instance_count: i64,
    instance_ids: InstanceIdList,
    network_interface_ids: EniIdList,
}

pub(crate) fn security_group(sg: &SecurityGroup, instances: Vec<String>, enis: Vec<String>) -> SecurityGroupView {
    SecurityGroupView {
        security_group_id: sg.id.clone(),
        security_group_name: sg.name.clone(),
        description: sg.description.clone(),
        creation_time: format_iso(sg.created_at),
        instance_count: instances.len() as i64,
        instance_ids: instances.into(),
        network_interface_ids: enis.into(),
    }
}

/// Network `Tag` item (both spellings of key and value, as the model has them).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagView {
    key: String,
    value: String,
    tag_key: String,
    tag_value: String,
}

fn tag_list(t: &[Tag]) -> TagList {
    t.iter()
        .map(|t| TagView {
            key: t.key.clone(),
            value: t.value.clone(),
            tag_key: t.key.clone(),
            tag_value: t.value.clone(),
        })
        .collect::<Vec<_>>()
        .into()
}

/// `Network` item (DescribeNetworks).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NetworkView {
    network_id: String,
    network_name: String,
    cidr_block: String,
    description: String,
    ens_region_id: String,
    status: &'static str,
    created_time: String,
    #[serde(rename = "VSwitchIds")]
    vswitch_ids: VSwitchIdList,
    route_table_id: String,
    router_table_id: String,
    gateway_route_table_id: String,
    network_acl_id: String,
    route_table_ids: RouteTableIdList,
    secondary_cidr_blocks: SecondaryCidrList,
    ipv6_cidr_blocks: Ipv6CidrList,
    tags: TagList,
}

pub(crate) fn network(n: &Vpc, vswitches: Vec<String>) -> NetworkView {
    NetworkView {
        network_id: n.id.clone(),
        network_name: n.name.clone(),
        cidr_block: n.cidr.clone(),
        description: n.description.clone(),
        ens_region_id: n.scope.region.clone(),
        status: "Available",
        created_time: format_iso(n.created_at),
        vswitch_ids: vswitches.into(),
        route_table_id: String::new(),
        router_table_id: String::new(),
        gateway_route_table_id: String::new(),
        network_acl_id: String::new(),
        route_table_ids: RouteTableIdList::default(),
        secondary_cidr_blocks: SecondaryCidrList::default(),
        ipv6_cidr_blocks: Ipv6CidrList::default(),
        tags: tag_list(&n.tags),
    }
}

/// `CloudResourceSetType` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CloudResourceView {
    resource_count: i64,
    resource_type: &'static str,
}

wrapper!(CloudResources, "CloudResourceSetType", CloudResourceView);

/// DescribeNetworkAttribute body.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NetworkAttributeView {
    network_id: String,
    network_name: String,
    cidr_block: String,
    description: String,
    ens_region_id: String,
    status: &'static str,
    created_time: String,
    #[serde(rename = "VSwitchIds")]
    vswitch_ids: VSwitchIdList,
    instance_ids: InstanceIdList,
    network_interface_ids: EniIdList,
    cloud_resources: CloudResources,
    ha_vip_ids: HaVipIdList,
    load_balancer_ids: LoadBalancerIdList,
    nat_gateway_ids: NatGatewayIdList,
    route_table_id: String,
    router_table_id: String,
    gateway_route_table_id: String,
    network_acl_id: String,
    route_table_ids: RouteTableIdList,
    secondary_cidr_blocks: SecondaryCidrList,
    ipv6_cidr_blocks: Ipv6CidrList,
}

pub(crate) fn network_attribute(
    n: &Vpc,
    vswitches: Vec<String>,
    instances: Vec<String>,
    enis: Vec<String>,
) -> NetworkAttributeView {
    let resources = vec![
        CloudResourceView { resource_count: vswitches.len() as i64, resource_type: "VSwitch" },
        CloudResourceView { resource_count: instances.len() as i64, resource_type: "Instance" },
        CloudResourceView { resource_count: enis.len() as i64, resource_type: "NetworkInterface" },
    ];
    NetworkAttributeView {
        network_id: n.id.clone(),
        network_name: n.name.clone(),
        cidr_block: n.cidr.clone(),
        description: n.description.clone(),
        ens_region_id: n.scope.region.clone(),
        status: "Available",
        created_time: format_iso(n.created_at),
        vswitch_ids: vswitches.into(),
        instance_ids: instances.into(),
        network_interface_ids: enis.into(),
        cloud_resources: resources.into(),
        ha_vip_ids: HaVipIdList::default(),
        load_balancer_ids: LoadBalancerIdList::default(),
        nat_gateway_ids: NatGatewayIdList::default(),
        route_table_id: String::new(),
        router_table_id: String::new(),
        gateway_route_table_id: String::new(),
        network_acl_id: String::new(),
        route_table_ids: RouteTableIdList::default(),
        secondary_cidr_blocks: SecondaryCidrList::default(),
        ipv6_cidr_blocks: Ipv6CidrList::default(),
    }
}

/// `VSwitch` item (DescribeVSwitches).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VSwitchView {
    #[serde(rename = "VSwitchId")]
    vswitch_id: String,
    #[serde(rename = "VSwitchName")]
    vswitch_name: String,
    cidr_block: String,
    ipv6_cidr_block: String,
    description: String,
    ens_region_id: String,
    network_id: String,
    status: &'static str,
    free_ip_count: i64,
    created_time: String,
    tags: TagList,
}

pub(crate) fn vswitch(s: &Subnet, free: u64) -> VSwitchView {
    VSwitchView {
        vswitch_id: s.id.clone(),
        vswitch_name: s.name.clone(),
        cidr_block: s.cidr.clone(),
        ipv6_cidr_block: String::new(),
        description: s.description.clone(),
        ens_region_id: s.scope.region.clone(),
        network_id: s.vpc_id.clone(),
        status: "Available",
        free_ip_count: free as i64,
        created_time: format_iso(s.created_at),
        tags: tag_list(&s.tags),
    }
}

/// DescribeVSwitchAttributes body.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VSwitchAttributesView {
    #[serde(rename = "VSwitchId")]
    vswitch_id: String,
    #[serde(rename = "VSwitchName")]
    vswitch_name: String,
    available_ip_address_count: i64,
    cidr_block: String,
    ipv6_cidr_block: String,
    created_time: String,
    description: String,
    ens_region_id: String,
    network_id: String,
    status: &'static str,
    instance_ids: InstanceIdList,
    network_interface_ids: EniIdList,
    ha_vip_ids: HaVipIdList,
    load_balancer_ids: LoadBalancerIdList,
    nat_gateway_ids: NatGatewayIdList,
}

pub(crate) fn vswitch_attributes(
    s: &Subnet,
    free: u64,
    instances: Vec<String>,
    enis: Vec<String>,
) -> VSwitchAttributesView {
    VSwitchAttributesView {
        vswitch_id: s.id.clone(),
        vswitch_name: s.name.clone(),
        available_ip_address_count: free as i64,
        cidr_block: s.cidr.clone(),
        ipv6_cidr_block: String::new(),
        created_time: format_iso(s.created_at),
        description: s.description.clone(),
        ens_region_id: s.scope.region.clone(),
        network_id: s.vpc_id.clone(),
        status: "Available",
        instance_ids: instances.into(),
        network_interface_ids: enis.into(),
        ha_vip_ids: HaVipIdList::default(),
        load_balancer_ids: LoadBalancerIdList::default(),
        nat_gateway_ids: NatGatewayIdList::default(),
    }
}

/// Instance `Status`: Pending while launching, Starting/Stopping in transition, Starting while
/// rebooting, Releasing while being released.
pub(crate) fn instance_status(s: InstanceState) -> &'static str {
    match s {
        InstanceState::Pending => "Pending",
        InstanceState::Running => "Running",
        InstanceState::Starting | InstanceState::Rebooting => "Starting",
        InstanceState::Stopping => "Stopping",
        InstanceState::Stopped => "Stopped",
        InstanceState::Terminating => "Releasing",
    }
}

/// Instance `Tags.Tags[]` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceTagView {
    tag_key: String,
    tag_value: String,
}

/// `PrivateIpSet` item of an instance's ENI.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceEniIpView {
    private_ip_address: String,
    primary: bool,
}

wrapper!(InstanceEniIps, "PrivateIpSet", InstanceEniIpView);

/// `NetworkInterfaces.NetworkInterfaces[]` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceEniView {
    network_interface_id: String,
    mac_address: String,
    primary_ip_address: String,
    #[serde(rename = "Type")]
    kind: &'static str,
    private_ip_sets: InstanceEniIps,
    ipv6_sets: Ipv6Sets,
    vpd_id: String,
    vpd_v_switch_id: String,
}

wrapper!(InstanceEnis, "NetworkInterfaces", InstanceEniView);

/// `PrivateIpAddresses.PrivateIpAddress[]` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AddressView {
    ip: String,
    isp: String,
    gate_way: String,
}

wrapper!(PrivateAddresses, "PrivateIpAddress", AddressView);
wrapper!(PublicAddresses, "PublicIpAddress", AddressView);
wrapper!(DataDisks, "DataDisk", serde_json::Value);

/// `NetworkAttributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NetworkAttributesView {
    network_id: String,
    #[serde(rename = "VSwitchId")]
    vswitch_id: String,
    private_ip_address: IpAddressList,
}

/// `SystemDisk` (eniplane models no disks: an empty object).
#[derive(Serialize, Default)]
pub(crate) struct SystemDiskView {}

/// `Instance` item (DescribeInstances).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceView {
    instance_id: String,
    instance_name: String,
    host_name: String,
    status: &'static str,
    ens_region_id: String,
    image_id: String,
    #[serde(rename = "OSName")]
    os_name: String,
    spec_name: String,
    instance_type_family: String,
    cpu: String,
    memory: i64,
    disk: i64,
    creation_time: String,
    expired_time: String,
    auto_release_time: String,
    instance_resource_type: String,
    internet_max_bandwidth_in: i64,
    internet_max_bandwidth_out: i64,
    key_pair_name: String,
    spot_strategy: &'static str,
    deletion_protection: bool,
    service_status: String,
    network_attributes: NetworkAttributesView,
    security_group_ids: InstanceGroupIds,
    private_ip_addresses: PrivateAddresses,
    public_ip_addresses: PublicAddresses,
    inner_ip_address: IpAddressList,
    public_ip_address: IpAddressList,
    network_interfaces: InstanceEnis,
    system_disk: SystemDiskView,
    data_disk: DataDisks,
    tags: InstanceTagList,
}

/// Renders an instance with its ENIs (primary first).
pub(crate) fn instance(i: &Instance, enis: &[Eni]) -> InstanceView {
    let primary = enis.iter().find(|e| e.id == i.primary_eni_id);
    let primary_ips: Vec<String> =
        primary.map(|e| e.private_ips.iter().map(|p| p.address.clone()).collect()).unwrap_or_default();
    let family =
        i.instance_type.rsplit_once('.').map(|(f, _)| f.to_string()).unwrap_or_else(|| i.instance_type.clone());
    InstanceView {
        instance_id: i.id.clone(),
        instance_name: i.name.clone(),
        host_name: i.host_name.clone(),
        status: instance_status(i.state),
        ens_region_id: i.scope.region.clone(),
        image_id: i.image_id.clone(),
        os_name: i.image_id.split('_').next().unwrap_or_default().to_string(),
        spec_name: i.instance_type.clone(),
        instance_type_family: family,
        cpu: i.cpu.to_string(),
        memory: i64::from(i.memory_gib) * 1024,
        disk: 0,
        creation_time: format_iso(i.created_at),
        expired_time: String::new(),
        auto_release_time: String::new(),
        instance_resource_type: if i.charge_type == "PrePaid" { "EnsInstance" } else { "EnsPostPaidInstance" }.into(),
        internet_max_bandwidth_in: 0,
        internet_max_bandwidth_out: 0,
        key_pair_name: String::new(),
        spot_strategy: "NoSpot",
        deletion_protection: false,
        service_status: String::new(),
        network_attributes: NetworkAttributesView {
            network_id: i.vpc_id.clone(),
            vswitch_id: i.subnet_id.clone(),
            private_ip_address: primary_ips.clone().into(),
        },
        security_group_ids: primary.map(|e| e.security_group_ids.clone()).unwrap_or_default().into(),
        private_ip_addresses: primary_ips
            .iter()
            .map(|ip| AddressView { ip: ip.clone(), isp: String::new(), gate_way: String::new() })
            .collect::<Vec<_>>()
            .into(),
        public_ip_addresses: PublicAddresses::default(),
        inner_ip_address: primary_ips.into(),
        public_ip_address: IpAddressList::default(),
        network_interfaces: enis
            .iter()
            .map(|e| InstanceEniView {
                network_interface_id: e.id.clone(),
                mac_address: e.mac.clone(),
                primary_ip_address: e.primary_ip().to_string(),
                kind: eni_type(e),
                private_ip_sets: e
                    .private_ips
                    .iter()
                    .map(|p| InstanceEniIpView { private_ip_address: p.address.clone(), primary: p.primary })
                    .collect::<Vec<_>>()
                    .into(),
                ipv6_sets: Ipv6Sets::default(),
                vpd_id: String::new(),
                vpd_v_switch_id: String::new(),
            })
            .collect::<Vec<_>>()
            .into(),
        system_disk: SystemDiskView::default(),
        data_disk: DataDisks::default(),
        tags: i
            .tags
            .iter()
            .map(|t| InstanceTagView { tag_key: t.key.clone(), tag_value: t.value.clone() })
            .collect::<Vec<_>>()
            .into(),
    }
}

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
