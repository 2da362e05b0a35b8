//! ENI views: `NetworkInterfaceSet` items, statuses and types.

use super::*;

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
