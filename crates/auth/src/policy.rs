//! CAM / RAM policy documents: a strict parser that refuses every element eniplane does not enforce, and the
//! evaluation of Allow / Deny statements over actions and resources.
//!
//! Grammar (refused otherwise, with a message naming the element):
//! * RAM spelling `{"Version": "1", "Statement": [...]}` with statements of `Effect`, `Action` or `NotAction`,
//!   `Resource` or `NotResource`; CAM spelling `{"version": "2.0", "statement": [...]}` with `effect`, `action`,
//!   `resource` (CAM documents no not-action or not-resource element). One spelling per document.
//! * `Condition` / `condition` and `Principal` / `principal` are refused: eniplane evaluates no conditions, and a
//!   principal belongs to role trust and bucket policies, not to policies attached to an access key.
//! * Actions: `*`, or `<service>:<name>` with `*` / `?` wildcards (CAM's `name/` prefix accepted), the service being
//!   one eniplane serves (`vpc`, `cvm`, `ens`) or a wildcard matching one; matched case-insensitively.
//! * Resources ([`pattern`]): `*`, CAM `qcs::<service>:<region>:<account>:<type>/<id>` and RAM
//!   `acs:<service>:<region>:<account>:<type>/<id>`; matched case-sensitively, segment by segment.
//!
//! Evaluation (RAM and CAM alike): a Deny that applies wins; else an Allow that applies allows; else implicit deny.
//! `NotAction` / `NotResource` make a statement apply to everything except the listed patterns. A segment of the
//! request's resource that is `*` (or a whole resource `*`) means "not known": an Allow must cover every value
//! there, while a Deny applies if it covers any, so what cannot be named is never granted by a narrow Allow nor
//! escapes a narrow Deny.

mod parse;
pub mod pattern;

use pattern::{ActionPattern, RequestResource, ResourcePattern};

pub use parse::{MAX_DOCUMENT_BYTES, MAX_PATTERNS, MAX_PATTERN_LEN, MAX_STATEMENTS};

/// A policy document that passed the strict parser.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Why a document was refused: names the element and, for statements, their 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// One statement of a [`Policy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Allow or Deny.
    pub effect: Effect,
    /// `Action` (listed) or `NotAction` (all but the listed).
    pub actions: Scope<ActionPattern>,
    /// `Resource` (listed) or `NotResource` (all but the listed).
    pub resources: Scope<ResourcePattern>,
}

/// The patterns a statement applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope<T> {
    /// `Action` / `Resource`: what matches one of these.
    Listed(Vec<T>),
    /// `NotAction` / `NotResource`: what matches none of these.
    AllBut(Vec<T>),
}

/// Statement effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants the matched actions.
    Allow,
    /// Refuses the matched actions, overriding any Allow.
    Deny,
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

impl Policy {
    /// Parses a JSON policy document strictly (see the module docs); repeated keys are refused.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        parse::document(text)
    }

    /// Parses a stored document (kept as JSON in the store) with the same rules as [`Policy::parse`].
    pub fn from_value(value: &serde_json::Value) -> Result<Self, PolicyError> {
        Self::parse(&value.to_string())
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
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
    while let Some(&tc) = t.get(ti) {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == tc => {
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
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// What one request asks: `action` (`vpc:Name`, `ens:Name`), `resource` (a CAM or RAM resource string, segments
/// that are not known given as `*`) and the account the signing key belongs to (what an empty CAM account segment
/// means).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:ActionName`.
    pub action: &'a str,
    /// The resource string.
    pub resource: &'a str,
    /// The signing key's account id.
    pub account: &'a str,
}

impl Statement {
    fn covers_action(&self, action: &str) -> bool {
        match &self.actions {
            Scope::Listed(p) => p.iter().any(|a| a.matches(action)),
            Scope::AllBut(p) => !p.iter().any(|a| a.matches(action)),
        }
    }

    /// Whether the statement applies to `action` on `resource`: for an Allow it must cover the resource for
    /// certain, for a Deny it is enough that it may.
    fn applies(&self, action: &str, resource: &RequestResource, account: &str) -> bool {
        if !self.covers_action(action) {
            return false;
        }
        let (certain, possible) =
            (|p: &ResourcePattern| p.covers(resource, account), |p: &ResourcePattern| p.may_cover(resource, account));
        match (self.effect, &self.resources) {
            (Effect::Allow, Scope::Listed(p)) => p.iter().any(certain),
            (Effect::Allow, Scope::AllBut(p)) => !p.iter().any(possible),
            (Effect::Deny, Scope::Listed(p)) => p.iter().any(possible),
            (Effect::Deny, Scope::AllBut(p)) => !p.iter().any(certain),
        }
    }
}

/// Evaluates `req` against all `policies`: a Deny that applies → [`Decision::ExplicitDeny`]; else an Allow that
/// applies → [`Decision::Allow`]; else [`Decision::ImplicitDeny`].
pub fn evaluate(policies: &[Policy], req: &Request) -> Decision {
    let resource = RequestResource::parse(req.resource);
    let mut allowed = false;
    for stmt in policies.iter().flat_map(|p| &p.statements) {
        if !stmt.applies(req.action, &resource, req.account) {
            continue;
        }
        match stmt.effect {
            Effect::Deny => return Decision::ExplicitDeny,
            Effect::Allow => allowed = true,
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
