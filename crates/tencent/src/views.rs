//! Domain resources rendered as Tencent's response models, with exactly the documented JSON types.

use eniplane_core::model::{Eni, EniState, Instance, InstanceState, IpState, Rule, SecurityGroup, Subnet, Tag, Vpc};
use eniplane_core::time::{format_iso, format_space};
use serde::Serialize;

/// `Tag`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagView {
    key: String,
    value: String,
}

pub(crate) fn tags(t: &[Tag]) -> Vec<TagView> {
    t.iter().map(|t| TagView { key: t.key.clone(), value: t.value.clone() }).collect()
}

/// `PrivateIpAddressSpecification`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PrivateIpView {
    private_ip_address: String,
    primary: bool,
    public_ip_address: String,
    address_id: String,
    description: String,
    is_wan_ip_blocked: bool,
    state: &'static str,
    qos_level: &'static str,
}

pub(crate) fn ip_state(s: IpState) -> &'static str {
    match s {
        IpState::Pending => "PENDING",
        IpState::Available => "AVAILABLE",
        IpState::Migrating => "MIGRATING",
        IpState::Deleting => "DELETING",
    }
}

pub(crate) fn private_ip(p: &eniplane_core::model::PrivateIp) -> PrivateIpView {
    PrivateIpView {
        private_ip_address: p.address.clone(),
        primary: p.primary,
        public_ip_address: String::new(),
        address_id: String::new(),
        description: p.description.clone(),
        is_wan_ip_blocked: false,
        state: ip_state(p.state),
        qos_level: "DEFAULT",
    }
}

/// `NetworkInterfaceAttachment`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttachmentView {
    device_index: u32,
    instance_account_id: String,
    attach_time: String,
    instance_id: String,
}

/// `NetworkInterface`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EniView {
    network_interface_id: String,
    network_interface_name: String,
    network_interface_description: String,
    subnet_id: String,
    vpc_id: String,
    group_set: Vec<String>,
    primary: bool,
    mac_address: String,
    state: &'static str,
    network_interface_state: &'static str,
    private_ip_address_set: Vec<PrivateIpView>,
    attachment: Option<AttachmentView>,
    zone: String,
    created_time: String,
    ipv6_address_set: Vec<serde_json::Value>,
    tag_set: Vec<TagView>,
    eni_type: u64,
    business: String,
    attach_type: u64,
    qos_level: &'static str,
}

/// `State` keeps `AVAILABLE` for attached ENIs (as the official examples show); the newer
/// `NetworkInterfaceState` says `INUSE`.
pub(crate) fn eni_state(s: EniState) -> (&'static str, &'static str) {
    match s {
        EniState::Creating => ("PENDING", "PENDING"),
        EniState::Available => ("AVAILABLE", "AVAILABLE"),
        EniState::Attaching => ("ATTACHING", "ATTACHING"),
        EniState::InUse => ("AVAILABLE", "INUSE"),
        EniState::Detaching => ("DETACHING", "DETACHING"),
        EniState::Deleting => ("DELETING", "DELETING"),
    }
}

pub(crate) fn eni(e: &Eni) -> EniView {
    let (state, nstate) = eni_state(e.state);
    EniView {
        network_interface_id: e.id.clone(),
        network_interface_name: e.name.clone(),
        network_interface_description: e.description.clone(),
        subnet_id: e.subnet_id.clone(),
        vpc_id: e.vpc_id.clone(),
        group_set: e.security_group_ids.clone(),
        primary: e.primary,
        mac_address: e.mac.clone(),
        state,
        network_interface_state: nstate,
        private_ip_address_set: e.private_ips.iter().map(private_ip).collect(),
        attachment: e.attachment.as_ref().map(|a| AttachmentView {
            device_index: a.device_index,
            instance_account_id: e.scope.account.clone(),
            attach_time: format_space(a.attached_at),
            instance_id: a.instance_id.clone(),
        }),
        zone: e.zone.clone(),
        created_time: format_space(e.created_at),
        ipv6_address_set: Vec::new(),
        tag_set: tags(&e.tags),
        eni_type: 0,
        business: "cvm".into(),
        attach_type: 0,
        qos_level: "DEFAULT",
    }
}

/// `SecurityGroup`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SecurityGroupView {
    security_group_id: String,
    security_group_name: String,
    security_group_desc: String,
    project_id: String,
    is_default: bool,
    created_time: String,
    update_time: String,
    tag_set: Vec<TagView>,
}

pub(crate) fn security_group(g: &SecurityGroup) -> SecurityGroupView {
    SecurityGroupView {
        security_group_id: g.id.clone(),
        security_group_name: g.name.clone(),
        security_group_desc: g.description.clone(),
        project_id: g.project_id.clone(),
        is_default: g.is_default,
        created_time: format_space(g.created_at),
        update_time: format_space(g.updated_at),
        tag_set: tags(&g.tags),
    }
}

/// `SecurityGroupPolicy`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyView {
    policy_index: i64,
    protocol: String,
    port: String,
    cidr_block: String,
    ipv6_cidr_block: String,
    security_group_id: String,
    action: String,
    policy_description: String,
    modify_time: String,
}

pub(crate) fn policy(i: usize, r: &Rule) -> PolicyView {
    PolicyView {
        policy_index: i as i64,
        protocol: r.protocol.clone(),
        port: r.port.clone(),
        cidr_block: r.cidr.clone(),
        ipv6_cidr_block: r.ipv6_cidr.clone(),
        security_group_id: r.peer_group.clone(),
        action: r.action.clone(),
        policy_description: r.description.clone(),
        modify_time: format_space(r.created_at),
    }
}

/// `SecurityGroupPolicySet`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicySetView {
    version: String,
    egress: Vec<PolicyView>,
    ingress: Vec<PolicyView>,
}

pub(crate) fn policy_set(g: &SecurityGroup) -> PolicySetView {
    PolicySetView {
        version: g.version.to_string(),
        egress: g.egress.iter().enumerate().map(|(i, r)| policy(i, r)).collect(),
        ingress: g.ingress.iter().enumerate().map(|(i, r)| policy(i, r)).collect(),
    }
}

/// `Vpc`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VpcView {
    vpc_name: String,
    vpc_id: String,
    cidr_block: String,
    is_default: bool,
    enable_multicast: bool,
    created_time: String,
    dns_server_set: Vec<String>,
    domain_name: String,
    dhcp_options_id: String,
    enable_dhcp: bool,
    ipv6_cidr_block: String,
    tag_set: Vec<TagView>,
    assistant_cidr_set: Vec<serde_json::Value>,
}

pub(crate) fn vpc(v: &Vpc) -> VpcView {
    VpcView {
        vpc_name: v.name.clone(),
        vpc_id: v.id.clone(),
        cidr_block: v.cidr.clone(),
        is_default: v.is_default,
        enable_multicast: v.enable_multicast,
        created_time: format_space(v.created_at),
        dns_server_set: v.dns_servers.clone(),
        domain_name: v.domain_name.clone(),
        dhcp_options_id: String::new(),
        enable_dhcp: true,
        ipv6_cidr_block: String::new(),
        tag_set: tags(&v.tags),
        assistant_cidr_set: Vec::new(),
    }
}

/// `Subnet`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SubnetView {
    vpc_id: String,
    subnet_id: String,
    subnet_name: String,
    cidr_block: String,
    is_default: bool,
    enable_broadcast: bool,
    zone: String,
    route_table_id: String,
    created_time: String,
    available_ip_address_count: u64,
    ipv6_cidr_block: String,
    network_acl_id: String,
    is_remote_vpc_snat: bool,
    total_ip_address_count: u64,
    tag_set: Vec<TagView>,
    is_cdc_subnet: i64,
}

pub(crate) fn subnet(s: &Subnet, available: u64) -> SubnetView {
    let total = eniplane_core::ipam::Cidr::parse("CidrBlock", &s.cidr).map(|c| c.size()).unwrap_or(0);
    SubnetView {
        vpc_id: s.vpc_id.clone(),
        subnet_id: s.id.clone(),
        subnet_name: s.name.clone(),
        cidr_block: s.cidr.clone(),
        is_default: s.is_default,
        enable_broadcast: s.enable_broadcast,
        zone: s.zone.clone(),
        route_table_id: String::new(),
        created_time: format_space(s.created_at),
        available_ip_address_count: available,
        ipv6_cidr_block: String::new(),
        network_acl_id: String::new(),
        is_remote_vpc_snat: false,
        total_ip_address_count: total,
        tag_set: tags(&s.tags),
        is_cdc_subnet: 0,
    }
}

/// CVM `InstanceState`.
pub(crate) fn instance_state(s: InstanceState) -> &'static str {
    match s {
        InstanceState::Pending => "PENDING",
        InstanceState::Running => "RUNNING",
        InstanceState::Starting => "STARTING",
        InstanceState::Stopping => "STOPPING",
        InstanceState::Stopped => "STOPPED",
        InstanceState::Rebooting => "REBOOTING",
        InstanceState::Terminating => "TERMINATING",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PlacementView {
    zone: String,
    project_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VpcRefView {
    vpc_id: String,
    subnet_id: String,
    as_vpc_gateway: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SystemDiskView {
    disk_type: &'static str,
    disk_id: String,
    disk_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InternetView {
    internet_charge_type: &'static str,
    internet_max_bandwidth_out: i64,
    public_ip_assigned: bool,
}

/// CVM `Instance`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceView {
    placement: PlacementView,
    instance_id: String,
    instance_type: String,
    #[serde(rename = "CPU")]
    cpu: i64,
    memory: i64,
    restrict_state: &'static str,
    instance_name: String,
    instance_charge_type: String,
    system_disk: SystemDiskView,
    data_disks: Vec<serde_json::Value>,
    private_ip_addresses: Vec<String>,
    public_ip_addresses: Option<Vec<String>>,
    internet_accessible: InternetView,
    virtual_private_cloud: VpcRefView,
    image_id: String,
    renew_flag: &'static str,
    created_time: String,
    expired_time: Option<String>,
    os_name: String,
    security_group_ids: Vec<String>,
    instance_state: &'static str,
    tags: Vec<TagView>,
    stop_charging_mode: &'static str,
    uuid: String,
    latest_operation: Option<String>,
    latest_operation_state: Option<String>,
    latest_operation_request_id: Option<String>,
    disaster_recover_group_id: String,
    #[serde(rename = "IPv6Addresses")]
    ipv6_addresses: Option<Vec<String>>,
    license_type: &'static str,
    disable_api_termination: bool,
    host_name: String,
    default_login_user: &'static str,
    default_login_port: i64,
}

/// Renders an instance with its primary ENI (for IPs and groups).
pub(crate) fn instance(i: &Instance, primary: Option<&Eni>) -> InstanceView {
    let (op, op_state, op_req) = match &i.last_operation {
        Some((a, s, r)) => (Some(a.clone()), Some(s.clone()), Some(r.clone())),
        None => (None, None, None),
    };
    InstanceView {
        placement: PlacementView { zone: i.zone.clone(), project_id: i.project_id },
        instance_id: i.id.clone(),
        instance_type: i.instance_type.clone(),
        cpu: i.cpu as i64,
        memory: i.memory_gib as i64,
        restrict_state: "NORMAL",
        instance_name: i.name.clone(),
        instance_charge_type: if i.charge_type.is_empty() { "POSTPAID_BY_HOUR".into() } else { i.charge_type.clone() },
        system_disk: SystemDiskView {
            disk_type: "CLOUD_PREMIUM",
            disk_id: format!("disk-{}", i.id.strip_prefix("ins-").unwrap_or(&i.id)),
            disk_size: 50,
        },
        data_disks: Vec::new(),
        private_ip_addresses: primary.map(|e| vec![e.primary_ip().to_string()]).unwrap_or_default(),
        public_ip_addresses: None,
        internet_accessible: InternetView {
            internet_charge_type: "TRAFFIC_POSTPAID_BY_HOUR",
            internet_max_bandwidth_out: 0,
            public_ip_assigned: false,
        },
        virtual_private_cloud: VpcRefView {
            vpc_id: i.vpc_id.clone(),
            subnet_id: i.subnet_id.clone(),
            as_vpc_gateway: false,
        },
        image_id: i.image_id.clone(),
        renew_flag: "NOTIFY_AND_MANUAL_RENEW",
        created_time: format_iso(i.created_at),
        expired_time: None,
        os_name: "TencentOS Server 3.1 (TK4)".into(),
        security_group_ids: primary.map(|e| e.security_group_ids.clone()).unwrap_or_default(),
        instance_state: instance_state(i.state),
        tags: tags(&i.tags),
        stop_charging_mode: "NOT_APPLICABLE",
        uuid: uuid_for(&i.id),
        latest_operation: op,
        latest_operation_state: op_state,
        latest_operation_request_id: op_req,
        disaster_recover_group_id: String::new(),
        ipv6_addresses: None,
        license_type: "TencentCloud",
        disable_api_termination: false,
        host_name: i.host_name.clone(),
        default_login_user: "root",
        default_login_port: 22,
    }
}

/// A stable UUID-shaped id derived from the instance id.
fn uuid_for(id: &str) -> String {
    let mut bytes = [0u8; 16];
    for (i, b) in id.bytes().enumerate() {
        bytes[i % 16] ^= b.wrapping_mul(31).wrapping_add(i as u8);
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}
