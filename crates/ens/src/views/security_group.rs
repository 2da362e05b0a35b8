//! Security group views: `SecurityGroup` items and `Permission` rules.

use super::*;

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
