//! Security groups and their rules.

use eniplane_store::Tx;

use super::Env;
use crate::error::{Error, Kind, Quota};
use crate::ids::{self, IdKind};
use crate::model::{Direction, Eni, Rule, SecurityGroup, Tag};
use crate::repo;

/// Input of security group creation.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Project (Tencent).
    pub project_id: String,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Initial inbound rules.
    pub ingress: Vec<Rule>,
    /// Initial outbound rules.
    pub egress: Vec<Rule>,
}

/// Creates a group (inbound and outbound deny all unless rules are given).
pub fn create(tx: &mut dyn Tx, env: &Env, input: NewGroup) -> Result<SecurityGroup, Error> {
    let limit = env.catalog.groups_per_region;
    if repo::count::<SecurityGroup>(tx, &env.scope)? >= limit as u64 {
        return Err(Error::QuotaExceeded { quota: Quota::GroupsPerRegion, limit });
    }
    let rule_limit = env.catalog.rules_per_group;
    if input.ingress.len() > rule_limit as usize || input.egress.len() > rule_limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::RulesPerGroup, limit: rule_limit });
    }
    let stamp = |mut r: Rule| {
        r.created_at = env.now_ms;
        r
    };
    let sg = SecurityGroup {
        id: ids::generate(env.cloud(), IdKind::SecurityGroup),
        scope: env.scope.clone(),
        name: input.name,
        description: input.description,
        project_id: if input.project_id.is_empty() { "0".into() } else { input.project_id },
        is_default: false,
        tags: input.tags,
        ingress: input.ingress.into_iter().map(stamp).collect(),
        egress: input.egress.into_iter().map(stamp).collect(),
        version: 1,
        created_at: env.now_ms,
        updated_at: env.now_ms,
    };
    check_peer_groups(tx, env, &sg)?;
    repo::create(tx, &sg)?;
    Ok(sg)
}

fn check_peer_groups(tx: &mut dyn Tx, env: &Env, sg: &SecurityGroup) -> Result<(), Error> {
    for r in sg.ingress.iter().chain(sg.egress.iter()) {
        if !r.peer_group.is_empty() && r.peer_group != sg.id {
            repo::load::<SecurityGroup>(tx, &env.scope, &r.peer_group)?;
        }
    }
    Ok(())
}

/// Renames or re-describes a group.
pub fn modify(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    name: Option<String>,
    description: Option<String>,
) -> Result<SecurityGroup, Error> {
    let mut sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    if let Some(n) = name {
        sg.name = n;
    }
    if let Some(d) = description {
        sg.description = d;
    }
    sg.updated_at = env.now_ms;
    repo::save(tx, &sg)?;
    Ok(sg)
}

/// Deletes a group that no ENI uses and no other group's rule references.
pub fn delete(tx: &mut dyn Tx, env: &Env, id: &str) -> Result<(), Error> {
    let sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    if let Some(e) = repo::list::<Eni>(tx, &env.scope)?.into_iter().find(|e| e.security_group_ids.contains(&sg.id)) {
        return Err(Error::InUse { kind: Kind::SecurityGroup, id: sg.id, by: format!("network interface {}", e.id) });
    }
    let referrer = repo::list::<SecurityGroup>(tx, &env.scope)?.into_iter().find(|other| {
        other.id != sg.id && other.ingress.iter().chain(other.egress.iter()).any(|r| r.peer_group == sg.id)
    });
    if let Some(other) = referrer {
        return Err(Error::InUse { kind: Kind::SecurityGroup, id: sg.id, by: format!("a rule of {}", other.id) });
    }
    repo::remove(tx, &sg)
}

/// Adds rules in one direction, at `index` (0-based) or at the end.
pub fn add_rules(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    direction: Direction,
    rules: Vec<Rule>,
    index: Option<usize>,
) -> Result<SecurityGroup, Error> {
    let mut sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    let limit = env.catalog.rules_per_group;
    let existing = sg.rules(direction).len();
    if existing + rules.len() > limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::RulesPerGroup, limit });
    }
    let at = index.unwrap_or(existing);
    if at > existing {
        return Err(Error::InvalidValue {
            field: "PolicyIndex".into(),
            reason: format!("{at} is beyond {existing} rules"),
        });
    }
    let stamped: Vec<Rule> = rules
        .into_iter()
        .map(|mut r| {
            r.created_at = env.now_ms;
            r
        })
        .collect();
    for r in &stamped {
        if sg.rules(direction).iter().any(|x| identical_rule(x, r)) {
            return Err(Error::Duplicate { what: "security group policy".into() });
        }
    }
    sg.rules_mut(direction).splice(at..at, stamped);
    check_peer_groups(tx, env, &sg)?;
    bump(&mut sg, env);
    repo::save(tx, &sg)?;
    Ok(sg)
}

/// Removes rules in one direction by 0-based index.
pub fn delete_rules_at(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    direction: Direction,
    indexes: &[usize],
) -> Result<SecurityGroup, Error> {
    let mut sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    let len = sg.rules(direction).len();
    if let Some(bad) = indexes.iter().find(|i| **i >= len) {
        return Err(Error::NotFound { kind: Kind::Rule, id: bad.to_string() });
    }
    let mut keep = 0usize;
    sg.rules_mut(direction).retain(|_| {
        let k = !indexes.contains(&keep);
        keep += 1;
        k
    });
    bump(&mut sg, env);
    repo::save(tx, &sg)?;
    Ok(sg)
}

/// Removes rules in one direction equal to the given ones (every field that is set).
pub fn delete_matching_rules(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    direction: Direction,
    rules: &[Rule],
) -> Result<SecurityGroup, Error> {
    let mut sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    for wanted in rules {
        let before = sg.rules(direction).len();
        sg.rules_mut(direction).retain(|r| !same_rule(r, wanted));
        if sg.rules(direction).len() == before {
            return Err(Error::NotFound { kind: Kind::Rule, id: describe_rule(wanted) });
        }
    }
    bump(&mut sg, env);
    repo::save(tx, &sg)?;
    Ok(sg)
}

/// Replaces all rules of both directions (`None` keeps a direction).
pub fn replace_rules(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    ingress: Option<Vec<Rule>>,
    egress: Option<Vec<Rule>>,
) -> Result<SecurityGroup, Error> {
    let mut sg: SecurityGroup = repo::load(tx, &env.scope, id)?;
    if let Some(r) = ingress {
        sg.ingress = r;
    }
    if let Some(r) = egress {
        sg.egress = r;
    }
    check_peer_groups(tx, env, &sg)?;
    bump(&mut sg, env);
    repo::save(tx, &sg)?;
    Ok(sg)
}

/// Every group of the caller.
pub fn list(tx: &mut dyn Tx, env: &Env) -> Result<Vec<SecurityGroup>, Error> {
    repo::list(tx, &env.scope)
}

fn bump(sg: &mut SecurityGroup, env: &Env) {
    sg.version += 1;
    sg.updated_at = env.now_ms;
}

fn same_rule(a: &Rule, b: &Rule) -> bool {
    let eq = |x: &str, y: &str| y.is_empty() || x.eq_ignore_ascii_case(y);
    eq(&a.protocol, &b.protocol)
        && eq(&a.port, &b.port)
        && eq(&a.cidr, &b.cidr)
        && eq(&a.ipv6_cidr, &b.ipv6_cidr)
        && eq(&a.peer_group, &b.peer_group)
        && eq(&a.action, &b.action)
        && eq(&a.source_port, &b.source_port)
        && (b.priority == 0 || a.priority == b.priority)
}

fn identical_rule(a: &Rule, b: &Rule) -> bool {
    let eq = |x: &str, y: &str| x.eq_ignore_ascii_case(y);
    eq(&a.protocol, &b.protocol)
        && eq(&a.port, &b.port)
        && eq(&a.cidr, &b.cidr)
        && eq(&a.ipv6_cidr, &b.ipv6_cidr)
        && eq(&a.peer_group, &b.peer_group)
        && eq(&a.action, &b.action)
        && eq(&a.source_port, &b.source_port)
        && a.priority == b.priority
}

fn describe_rule(r: &Rule) -> String {
    format!("{} {} {} {}", r.protocol, r.port, if r.cidr.is_empty() { &r.peer_group } else { &r.cidr }, r.action)
}
