//! Network and vSwitch views, with their tags and attribute bodies.

use super::*;

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
