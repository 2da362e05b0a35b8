//! The strict policy parser: both spellings are read into one raw shape (unknown keys and repeated keys are
//! refused by serde), then checked element by element so every refusal names what it refuses.

use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::pattern::{ActionPattern, ResourcePattern};
use super::{Effect, Policy, PolicyError, Scope, Statement};

/// Largest document accepted, in bytes (RAM and CAM both cap a policy at 6,144 characters; this leaves room).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// Most statements in one document.
pub const MAX_STATEMENTS: usize = 100;
/// Most patterns in one `Action` / `Resource` (or `Not…`) element.
pub const MAX_PATTERNS: usize = 100;
/// Longest action or resource pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 512;

/// Reads a list of at most `max` elements, refusing the next one with "more than `max` `what`".
fn bounded<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    mut seq: A,
    max: usize,
    what: &str,
) -> Result<Vec<T>, A::Error> {
    let mut out = Vec::new();
    while let Some(item) = seq.next_element::<T>()? {
        if out.len() == max {
            return Err(de::Error::custom(format!("more than {max} {what}")));
        }
        out.push(item);
    }
    Ok(out)
}

/// A string or a list of strings (at most [`MAX_PATTERNS`]; their length is checked later).
struct Patterns(Vec<String>);

impl<'de> Deserialize<'de> for Patterns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Patterns;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Patterns, E> {
                Ok(Patterns(vec![s.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Patterns, A::Error> {
                bounded(seq, MAX_PATTERNS, "patterns in one element").map(Patterns)
            }
        }
        d.deserialize_any(V)
    }
}

/// Statements, at most [`MAX_STATEMENTS`].
struct Statements(Vec<RawStatement>);

impl<'de> Deserialize<'de> for Statements {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Statements;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of statements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Statements, A::Error> {
                bounded(seq, MAX_STATEMENTS, "statements").map(Statements)
            }
        }
        d.deserialize_seq(V)
    }
}

/// The document with both spellings side by side.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(rename = "Version")]
    ram_version: Option<String>,
    #[serde(rename = "Statement")]
    ram_statement: Option<Statements>,
    #[serde(rename = "version")]
    cam_version: Option<String>,
    #[serde(rename = "statement")]
    cam_statement: Option<Statements>,
    #[serde(rename = "Principal")]
    ram_principal: Option<IgnoredAny>,
    #[serde(rename = "principal")]
    cam_principal: Option<IgnoredAny>,
}

/// A statement with both spellings side by side.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    #[serde(rename = "Effect")]
    ram_effect: Option<String>,
    #[serde(rename = "effect")]
    cam_effect: Option<String>,
    #[serde(rename = "Action")]
    ram_action: Option<Patterns>,
    #[serde(rename = "action")]
    cam_action: Option<Patterns>,
    #[serde(rename = "NotAction")]
    ram_not_action: Option<Patterns>,
    #[serde(rename = "Resource")]
    ram_resource: Option<Patterns>,
    #[serde(rename = "resource")]
    cam_resource: Option<Patterns>,
    #[serde(rename = "NotResource")]
    ram_not_resource: Option<Patterns>,
    #[serde(rename = "Condition")]
    ram_condition: Option<IgnoredAny>,
    #[serde(rename = "condition")]
    cam_condition: Option<IgnoredAny>,
    #[serde(rename = "Principal")]
    ram_principal: Option<IgnoredAny>,
    #[serde(rename = "principal")]
    cam_principal: Option<IgnoredAny>,
}

/// Which spelling a document uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spelling {
    /// Alibaba RAM: `Version`, `Statement`, `Effect`, …
    Ram,
    /// Tencent CAM: `version`, `statement`, `effect`, …
    Cam,
}

const PRINCIPAL: &str = "is not supported: a principal belongs to role trust and bucket policies; a policy on an \
                         access key applies to that key";
const CONDITION: &str = "is not supported: eniplane does not evaluate conditions, and a statement whose condition \
                         were ignored would grant or deny more than written";

fn refused(what: String) -> PolicyError {
    PolicyError(what)
}

/// Parses and checks a document.
pub(super) fn document(text: &str) -> Result<Policy, PolicyError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(refused(format!("the policy document is longer than {MAX_DOCUMENT_BYTES} bytes")));
    }
    let raw: RawDocument = serde_json::from_str(text).map_err(|e| refused(format!("not a policy document: {e}")))?;
    if raw.ram_principal.is_some() {
        return Err(refused(format!("Principal {PRINCIPAL}")));
    }
    if raw.cam_principal.is_some() {
        return Err(refused(format!("principal {PRINCIPAL}")));
    }
    let ram = raw.ram_version.is_some() || raw.ram_statement.is_some();
    let cam = raw.cam_version.is_some() || raw.cam_statement.is_some();
    let (spelling, version, statements) = match (ram, cam) {
        (true, true) => {
            return Err(refused(
                "the document mixes RAM spelling (Version, Statement) and CAM spelling (version, statement)".into(),
            ))
        }
        (true, false) => (Spelling::Ram, raw.ram_version, raw.ram_statement),
        (false, true) => (Spelling::Cam, raw.cam_version, raw.cam_statement),
        (false, false) => {
            return Err(refused("a policy has Version and Statement (RAM) or version and statement (CAM)".into()))
        }
    };
    let (version_key, statement_key, wanted) = match spelling {
        Spelling::Ram => ("Version", "Statement", "1"),
        Spelling::Cam => ("version", "statement", "2.0"),
    };
    match version.as_deref() {
        None => return Err(refused(format!("{version_key} is required"))),
        Some(v) if v != wanted => {
            return Err(refused(format!("{version_key} {v:?} is not supported; the only version is {wanted:?}")))
        }
        Some(_) => {}
    }
    let statements = statements.ok_or_else(|| refused(format!("{statement_key} is required")))?.0;
    if statements.is_empty() {
        return Err(refused(format!("{statement_key} must hold at least one statement")));
    }
    let statements = statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| statement(s, spelling).map_err(|e| refused(format!("{statement_key} {}: {e}", i + 1))))
        .collect::<Result<_, _>>()?;
    Ok(Policy { statements })
}

/// Names of the other spelling's keys a statement carries.
fn foreign_keys(s: &RawStatement, spelling: Spelling) -> Option<&'static str> {
    let ram = [
        (s.ram_effect.is_some(), "Effect"),
        (s.ram_action.is_some(), "Action"),
        (s.ram_not_action.is_some(), "NotAction"),
        (s.ram_resource.is_some(), "Resource"),
        (s.ram_not_resource.is_some(), "NotResource"),
        (s.ram_condition.is_some(), "Condition"),
        (s.ram_principal.is_some(), "Principal"),
    ];
    let cam = [
        (s.cam_effect.is_some(), "effect"),
        (s.cam_action.is_some(), "action"),
        (s.cam_resource.is_some(), "resource"),
        (s.cam_condition.is_some(), "condition"),
        (s.cam_principal.is_some(), "principal"),
    ];
    let other: &[(bool, &'static str)] = match spelling {
        Spelling::Ram => &cam,
        Spelling::Cam => &ram,
    };
    other.iter().find(|(present, _)| *present).map(|(_, name)| *name)
}

fn statement(s: RawStatement, spelling: Spelling) -> Result<Statement, PolicyError> {
    if let Some(key) = foreign_keys(&s, spelling) {
        let (this, hint) = match spelling {
            Spelling::Ram => ("RAM", "RAM keys are capitalised: Effect, Action, NotAction, Resource, NotResource"),
            Spelling::Cam => {
                ("CAM", "CAM keys are lower-case: effect, action, resource (CAM has no NotAction or NotResource)")
            }
        };
        return Err(refused(format!("{key} does not belong in a {this} document ({hint})")));
    }
    let names = |ram: &'static str, cam: &'static str| if spelling == Spelling::Ram { ram } else { cam };
    if s.ram_condition.is_some() || s.cam_condition.is_some() {
        return Err(refused(format!("{} {CONDITION}", names("Condition", "condition"))));
    }
    if s.ram_principal.is_some() || s.cam_principal.is_some() {
        return Err(refused(format!("{} {PRINCIPAL}", names("Principal", "principal"))));
    }
    let effect_key = names("Effect", "effect");
    let effect = match s.ram_effect.or(s.cam_effect) {
        None => return Err(refused(format!("{effect_key} is required"))),
        Some(e) if e.eq_ignore_ascii_case("allow") => Effect::Allow,
        Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
        Some(e) => return Err(refused(format!("{effect_key} {e:?} is neither Allow nor Deny"))),
    };
    let actions = scope(
        s.ram_action.or(s.cam_action),
        s.ram_not_action,
        (names("Action", "action"), "NotAction"),
        ActionPattern::parse,
    )?;
    let resources = scope(
        s.ram_resource.or(s.cam_resource),
        s.ram_not_resource,
        (names("Resource", "resource"), "NotResource"),
        ResourcePattern::parse,
    )?;
    Ok(Statement { effect, actions, resources })
}

/// One of `listed` / `all_but` (named `keys`), each pattern checked by `parse`.
fn scope<T>(
    listed: Option<Patterns>,
    all_but: Option<Patterns>,
    keys: (&str, &str),
    parse: fn(&str) -> Result<T, PolicyError>,
) -> Result<Scope<T>, PolicyError> {
    let (key, patterns) = match (listed, all_but) {
        (Some(_), Some(_)) => return Err(refused(format!("a statement has {} or {}, not both", keys.0, keys.1))),
        (None, None) => return Err(refused(format!("{} is required", keys.0))),
        (Some(p), None) => (keys.0, p.0),
        (None, Some(p)) => (keys.1, p.0),
    };
    if patterns.is_empty() {
        return Err(refused(format!("{key} must name at least one pattern")));
    }
    let mut out = Vec::with_capacity(patterns.len());
    for p in &patterns {
        if p.len() > MAX_PATTERN_LEN {
            return Err(refused(format!("{key}: a pattern is longer than {MAX_PATTERN_LEN} bytes")));
        }
        out.push(parse(p).map_err(|e| refused(format!("{key}: {e}")))?);
    }
    Ok(if key == keys.0 { Scope::Listed(out) } else { Scope::AllBut(out) })
}
