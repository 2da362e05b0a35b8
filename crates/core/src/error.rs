//! The domain error: what went wrong in vendor-neutral terms. Each dialect maps every variant to
//! its own code once, with an exhaustive match.

use eniplane_store::StoreError;

/// Resource kinds, for messages and for dialects that pick codes per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// VPC (ENS: network).
    Vpc,
    /// Subnet (ENS: vSwitch).
    Subnet,
    /// Security group.
    SecurityGroup,
    /// Instance.
    Instance,
    /// Elastic network interface.
    Eni,
    /// Asynchronous task.
    Task,
    /// Private IP address.
    PrivateIp,
    /// A security group rule.
    Rule,
}

impl Kind {
    /// Human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::SecurityGroup => "security group",
            Kind::Instance => "instance",
            Kind::Eni => "network interface",
            Kind::Task => "task",
            Kind::PrivateIp => "private ip",
            Kind::Rule => "security group policy",
        }
    }
}

/// Which quota was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// ENIs attached to one instance.
    EnisPerInstance,
    /// Private IPs on one ENI.
    IpsPerEni,
    /// Security groups bound to one ENI.
    GroupsPerEni,
    /// Security groups per region.
    GroupsPerRegion,
    /// Rules in one security group.
    RulesPerGroup,
    /// VPCs per region.
    VpcsPerRegion,
    /// Subnets per VPC.
    SubnetsPerVpc,
    /// ENIs per VPC.
    EnisPerVpc,
}

/// Every way a domain operation can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The resource does not exist in this scope (or belongs to someone else).
    #[error("The {} {id} does not exist.", kind.name())]
    NotFound { kind: Kind, id: String },
    /// A value has the wrong shape (an ID, a CIDR, an address).
    #[error("{field} is malformed: {value}.")]
    Malformed { field: String, value: String },
    /// A value is well-formed but not acceptable.
    #[error("{field} is invalid: {reason}.")]
    InvalidValue { field: String, reason: String },
    /// A list is longer than allowed.
    #[error("{field} has more than {max} items.")]
    TooMany { field: String, max: usize },
    /// A required input is missing.
    #[error("{field} is required.")]
    Missing { field: String },
    /// The resource is in a state that forbids the operation.
    #[error("The {} {id} is {state}, which does not allow this operation.", kind.name())]
    InvalidState { kind: Kind, id: String, state: String },
    /// The operation is not allowed on a primary ENI.
    #[error("{id} is a primary network interface.")]
    PrimaryEni { id: String },
    /// The ENI is attached to some instance already.
    #[error("{eni} is already attached to {instance}.")]
    AlreadyAttached { eni: String, instance: String },
    /// The ENI is not attached (to that instance).
    #[error("{eni} is not attached to {instance}.")]
    NotAttached { eni: String, instance: String },
    /// Instance and subnet are in different zones.
    #[error("{what} is not in the same zone as {other}.")]
    ZoneMismatch { what: String, other: String },
    /// Two resources are in different VPCs (or subnets where one is required).
    #[error("{what} is not in the same network as {other}.")]
    VpcMismatch { what: String, other: String },
    /// The ENI must keep at least one security group for this.
    #[error("{eni} has no security group.")]
    NoSecurityGroup { eni: String },
    /// A quota is exhausted.
    #[error("Quota exceeded: at most {limit}.")]
    QuotaExceeded { quota: Quota, limit: u32 },
    /// No free address left in the subnet.
    #[error("Subnet {subnet} has no free address.")]
    SubnetExhausted { subnet: String },
    /// The address is used by another resource.
    #[error("Address {ip} is already in use.")]
    AddressInUse { ip: String },
    /// The address is outside the subnet or reserved.
    #[error("Address {ip} is not usable in subnet {subnet}.")]
    AddressOutOfSubnet { ip: String, subnet: String },
    /// The primary private IP cannot be removed or moved.
    #[error("{ip} is the primary private ip.")]
    PrimaryIp { ip: String },
    /// The address is not on that ENI.
    #[error("{ip} is not assigned to {eni}.")]
    IpNotOnEni { ip: String, eni: String },
    /// The resource is still used by others.
    #[error("The {} {id} is in use: {by}.", kind.name())]
    InUse { kind: Kind, id: String, by: String },
    /// A CIDR overlaps another or lies outside its parent.
    #[error("Cidr {cidr} conflicts: {reason}.")]
    CidrConflict { cidr: String, reason: String },
    /// The ENI is managed by a service and cannot be changed by users.
    #[error("{eni} is managed by a service.")]
    ServiceManaged { eni: String },
    /// The operation would leave the resource without any security group.
    #[error("{id} must keep at least one security group.")]
    LastSecurityGroup { id: String },
    /// The group is already bound / the rule already exists.
    #[error("{what} already exists.")]
    Duplicate { what: String },
    /// The store failed.
    #[error("Storage: {0}.")]
    Store(#[from] StoreError),
}
