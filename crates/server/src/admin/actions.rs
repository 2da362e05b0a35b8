//! `GET /_eniplane/actions[?dialect=tencent|ens][&service=vpc|cvm|ens]`: every action the
//! server supports, from the dialects' action tables, one object per action with its name,
//! dialect, service and API version (`{"actions": […], "total": N}`). The CLI twins are
//! `eniplane admin actions` (asks a running server) and `eniplane actions` (offline).

use std::fmt::Write;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::AdminError;

/// One supported action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEntry {
    /// As the client names it (`X-TC-Action`, `Action`).
    pub name: String,
    /// `tencent` or `ens`.
    pub dialect: String,
    /// `vpc`, `cvm` or `ens`.
    pub service: String,
    /// The API version it is served under.
    pub version: String,
}

/// The answer of `GET /_eniplane/actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionList {
    /// Sorted by dialect, service and name.
    pub actions: Vec<ActionEntry>,
    /// How many there are.
    pub total: usize,
}

/// Which actions to list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only this dialect.
    pub dialect: Option<String>,
    /// Only this service.
    pub service: Option<String>,
}

/// The dialects and their services.
const DIALECTS: [&str; 2] = ["tencent", "ens"];
const SERVICES: [&str; 3] = ["vpc", "cvm", "ens"];

/// Every supported action that `filter` admits.
pub fn catalog(filter: &Filter) -> Result<ActionList, AdminError> {
    if let Some(d) = filter.dialect.as_deref().filter(|d| !DIALECTS.contains(d)) {
        return Err(AdminError::BadRequest(format!("unknown dialect {:.40}; use one of {}", d, DIALECTS.join(", "))));
    }
    if let Some(s) = filter.service.as_deref().filter(|s| !SERVICES.contains(s)) {
        return Err(AdminError::BadRequest(format!("unknown service {:.40}; use one of {}", s, SERVICES.join(", "))));
    }
    let tencent = eniplane_tencent::actions_by_service()
        .map(|(service, name)| ("tencent", service, eniplane_tencent::VERSION, name));
    let ens = eniplane_ens::action_names().map(|name| ("ens", eniplane_ens::SERVICE, eniplane_ens::VERSION, name));
    let admits = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    let mut actions: Vec<ActionEntry> = tencent
        .chain(ens)
        .filter(|(d, s, _, _)| admits(&filter.dialect, d) && admits(&filter.service, s))
        .map(|(dialect, service, version, name)| ActionEntry {
            name: name.into(),
            dialect: dialect.into(),
            service: service.into(),
            version: version.into(),
        })
        .collect();
    actions.sort_by(|a, b| (&a.dialect, &a.service, &a.name).cmp(&(&b.dialect, &b.service, &b.name)));
    Ok(ActionList { total: actions.len(), actions })
}

/// The endpoint.
pub async fn list(query: Result<Query<Filter>, QueryRejection>) -> Result<Json<ActionList>, AdminError> {
    let Query(filter) = query.map_err(|e| AdminError::BadRequest(e.body_text()))?;
    catalog(&filter).map(Json)
}

/// The list as a table, for the CLI.
pub fn render(list: &ActionList) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<8} {:<8} {:<11} ACTION", "DIALECT", "SERVICE", "VERSION");
    for a in &list.actions {
        let _ = writeln!(out, "{:<8} {:<8} {:<11} {}", a.dialect, a.service, a.version, a.name);
    }
    let _ = writeln!(out, "{} actions", list.total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_is_listed_once_with_its_service() {
        let all = catalog(&Filter::default()).unwrap();
        let tencent = eniplane_tencent::action_names().count();
        let ens = eniplane_ens::action_names().count();
        assert_eq!(all.total, tencent + ens);
        assert_eq!(all.actions.len(), all.total);
        let vpc = all.actions.iter().find(|a| a.name == "AttachNetworkInterface" && a.dialect == "tencent").unwrap();
        assert_eq!((vpc.service.as_str(), vpc.version.as_str()), ("vpc", "2017-03-12"));
        let cvm = all.actions.iter().find(|a| a.name == "RunInstances" && a.dialect == "tencent").unwrap();
        assert_eq!(cvm.service, "cvm");
        let ens_eni = all.actions.iter().find(|a| a.name == "DescribeNetworkInterfaces" && a.dialect == "ens").unwrap();
        assert_eq!((ens_eni.service.as_str(), ens_eni.version.as_str()), ("ens", "2017-11-10"));
        let mut sorted = all.actions.clone();
        sorted.sort_by(|a, b| (&a.dialect, &a.service, &a.name).cmp(&(&b.dialect, &b.service, &b.name)));
        assert_eq!(sorted, all.actions);
    }

    #[test]
    fn filters_narrow_and_unknown_values_are_refused() {
        let cvm = catalog(&Filter { dialect: Some("tencent".into()), service: Some("cvm".into()) }).unwrap();
        assert!(cvm.total > 0 && cvm.actions.iter().all(|a| a.service == "cvm" && a.dialect == "tencent"));
        let ens = catalog(&Filter { dialect: Some("ens".into()), service: None }).unwrap();
        assert_eq!(ens.total, eniplane_ens::action_names().count());
        let none = catalog(&Filter { dialect: Some("ens".into()), service: Some("vpc".into()) }).unwrap();
        assert_eq!(none.total, 0);
        assert!(matches!(
            catalog(&Filter { dialect: Some("aws".into()), service: None }),
            Err(AdminError::BadRequest(_))
        ));
        assert!(matches!(
            catalog(&Filter { dialect: None, service: Some("s3".into()) }),
            Err(AdminError::BadRequest(_))
        ));
    }

    #[test]
    fn the_table_names_every_action() {
        let list = catalog(&Filter::default()).unwrap();
        let text = render(&list);
        assert_eq!(text.lines().count(), list.total + 2);
        assert!(text.contains("tencent  vpc      2017-03-12  AttachNetworkInterface"), "{text}");
    }
}
