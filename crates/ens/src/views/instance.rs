//! Instance views: `Instance` items with their ENIs, addresses and tags.

use super::*;

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
