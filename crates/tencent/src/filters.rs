//! `Filters` (AND across filters, OR across values), `Ids`/`Filters` exclusivity, and
//! Offset/Limit pagination for the Describe* actions.

use serde::Deserialize;

use crate::error::ApiError;

/// One filter as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Values", default, deserialize_with = "eniplane_api::lenient::string_list")]
    pub values: Vec<String>,
}

/// Checks filters against the names an action knows.
pub(crate) fn check(filters: &[Filter], known: &[&str]) -> Result<(), ApiError> {
    if filters.len() > 10 {
        return Err(ApiError::new("InvalidParameterValue.LimitExceeded", "At most 10 Filters are allowed."));
    }
    for f in filters {
        let ok = known.contains(&f.name.as_str()) || (f.name.starts_with("tag:") && known.contains(&"tag:"));
        if !ok {
            return Err(ApiError::new(
                "InvalidParameter.FilterInvalidKey",
                format!("The filter name `{}` is not supported.", f.name),
            ));
        }
        if f.values.is_empty() {
            return Err(ApiError::new(
                "InvalidParameter.FilterValuesNotList",
                format!("The filter `{}` needs Values.", f.name),
            ));
        }
    }
    Ok(())
}

/// `Ids` and `Filters` together is an error.
pub(crate) fn exclusive(ids: &[String], filters: &[Filter]) -> Result<(), ApiError> {
    if !ids.is_empty() && !filters.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter.Coexist",
            "The Ids parameter and the Filters parameter cannot both be given.",
        ));
    }
    Ok(())
}

/// A boolean filter value (`TRUE`/`FALSE`/`true`/`1`).
pub(crate) fn truthy(v: &str) -> bool {
    eniplane_api::lenient::parse_bool(v).unwrap_or(false)
}

/// Validated Offset/Limit.
pub(crate) fn page(offset: Option<u64>, limit: Option<u64>) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(20);
    if limit > 100 {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("Limit {limit} is out of range; the maximum is 100."),
        ));
    }
    Ok((offset.unwrap_or(0) as usize, limit as usize))
}

/// Applies a page to a list; returns the page and the total.
pub(crate) fn paginate<T>(items: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    (items.into_iter().skip(offset).take(limit).collect(), total)
}
