//! Minimal CAM / RAM style policy evaluation: Allow / Deny statements over actions and resources with `*` / `?`.
//!
//! Reference: alibaba-ens.md §9 (RAM model: explicit Deny wins, otherwise an Allow must match, else implicit deny).
//! Accepts both Alibaba RAM (`Version`, `Statement`, …) and Tencent CAM (`version`, `statement`, …) key spellings.
//! Conditions are not evaluated yet; to fail closed, an Allow with a `Condition` never matches and a Deny with a
//! `Condition` always applies when its action and resource match.

use serde::{Deserialize, Deserializer};

/// A policy document: `{"Version": "1", "Statement": [...]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PolicyDocument {
    /// `"1"` (RAM) or `"2.0"` (CAM); not interpreted.
    #[serde(rename = "Version", alias = "version", default)]
    pub version: Option<String>,
    /// The statements, in document order.
    #[serde(rename = "Statement", alias = "statement", default)]
    pub statement: Vec<Statement>,
}

/// One statement of a [`PolicyDocument`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Statement {
    /// `Allow` or `Deny` (any case).
    #[serde(rename = "Effect", alias = "effect")]
    pub effect: Effect,
    /// Action patterns, e.g. `ens:Describe*`, `vpc:*`, `*`; a single string is accepted.
    #[serde(rename = "Action", alias = "action", default, deserialize_with = "one_or_many")]
    pub action: Vec<String>,
    /// Resource patterns, e.g. `acs:ens:*:123:instance/*`, `*`; a single string is accepted.
    #[serde(rename = "Resource", alias = "resource", default, deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
    /// Raw `Condition` block, kept for the full engine (see the module docs for how it is treated now).
    #[serde(rename = "Condition", alias = "condition", default)]
    pub condition: Option<serde_json::Value>,
}

/// Statement effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants the matched actions.
    Allow,
    /// Refuses the matched actions, overriding any Allow.
    Deny,
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.eq_ignore_ascii_case("allow") {
            Ok(Effect::Allow)
        } else if s.eq_ignore_ascii_case("deny") {
            Ok(Effect::Deny)
        } else {
            Err(serde::de::Error::invalid_value(serde::de::Unexpected::Str(&s), &"Allow or Deny"))
        }
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

impl PolicyDocument {
    /// Parses a JSON policy document.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// At least one Allow matched and no Deny did.
    Allow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing matched.
    ImplicitDeny,
}

/// Glob match with `*` (any run, including empty) and `?` (exactly one character). Linear backtracking,
/// no recursion, so hostile patterns cannot blow up.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let fold = |c: char| {
        if case_insensitive {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let p: Vec<char> = pattern.chars().map(fold).collect();
    let t: Vec<char> = text.chars().map(fold).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn matches(stmt: &Statement, action: &str, resource: &str) -> bool {
    stmt.action.iter().any(|a| wildcard_match(a, action, true))
        && stmt.resource.iter().any(|r| wildcard_match(r, resource, false))
}

/// Evaluates `action` (e.g. `ens:DetachNetworkInterface`, case-insensitive) on `resource` (case-sensitive)
/// against all `policies`: any matching Deny → [`Decision::ExplicitDeny`]; else any matching Allow →
/// [`Decision::Allow`]; else [`Decision::ImplicitDeny`].
pub fn evaluate(policies: &[PolicyDocument], action: &str, resource: &str) -> Decision {
    let mut allowed = false;
    for stmt in policies.iter().flat_map(|p| &p.statement) {
        if !matches(stmt, action, resource) {
            continue;
        }
        match (stmt.effect, stmt.condition.is_some()) {
            (Effect::Deny, _) => return Decision::ExplicitDeny,
            (Effect::Allow, false) => allowed = true,
            (Effect::Allow, true) => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests;
