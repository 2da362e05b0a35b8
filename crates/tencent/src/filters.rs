//! `Filters` (AND across filters, OR across values), `Ids`/`Filters` exclusivity, and
//! Offset/Limit pagination for the Describe* actions.
//!
//! Bounds: at most [`MAX_FILTERS`] filters per request; at most [`CVM_FILTER_VALUES`] values per
//! filter on CVM (documented: "up to 10 `Filters` and 5 `Filters.Values`") and
//! [`VPC_FILTER_VALUES`] on VPC (undocumented there; the size of an ID list).

use serde::Deserialize;

use crate::error::ApiError;

/// Most filters per request (documented for VPC and CVM Describe actions).
pub(crate) const MAX_FILTERS: usize = 10;
/// Most values per filter on CVM `DescribeInstances` (documented).
pub(crate) const CVM_FILTER_VALUES: usize = 5;
/// Most values per filter on the VPC Describe actions (not documented; chosen as the ID-list size).
pub(crate) const VPC_FILTER_VALUES: usize = 100;

/// One filter as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filter {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Values", default, deserialize_with = "eniplane_api::lenient::string_list")]
    pub values: Vec<String>,
}

/// The `Filters` parameter: decoding never fails here, so that a malformed filter gets its
/// documented code (`InvalidParameter.FilterNotDict`, `.FilterValuesNotList`) from [`check`]
/// instead of a generic decoding error.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    list: Vec<Filter>,
    problem: Option<ApiError>,
}

impl std::ops::Deref for Filters {
    type Target = [Filter];
    fn deref(&self) -> &[Filter] {
        &self.list
    }
}

impl<'de> Deserialize<'de> for Filters {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        let items = match Value::deserialize(d)? {
            Value::Null => return Ok(Self::default()),
            Value::Array(items) => items,
            _ => return Err(serde::de::Error::custom("Filters must be a list of filters")),
        };
        let mut out = Self::default();
        for item in items {
            let problem = match &item {
                Value::Object(m) if m.get("Values").is_some_and(|v| !v.is_array()) => {
                    Some(ApiError::new("InvalidParameter.FilterValuesNotList", "A filter's Values must be a list."))
                }
                Value::Object(_) => match serde_json::from_value::<Filter>(item) {
                    Ok(f) => {
                        out.list.push(f);
                        None
                    }
                    Err(e) => Some(ApiError::new("InvalidParameter", format!("A filter is invalid: {e}."))),
                },
                _ => Some(ApiError::new(
                    "InvalidParameter.FilterNotDict",
                    "Each filter must be an object with Name and Values.",
                )),
            };
            if out.problem.is_none() {
                out.problem = problem;
            }
        }
        Ok(out)
    }
}

/// Checks filters against the names an action knows, with at most `max_values` values each.
pub(crate) fn check(filters: &Filters, known: &[&str], max_values: usize) -> Result<(), ApiError> {
    if let Some(p) = &filters.problem {
        return Err(p.clone());
    }
    if filters.len() > MAX_FILTERS {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!("At most {MAX_FILTERS} Filters are allowed."),
        ));
    }
    if let Some(f) = filters.iter().find(|f| f.values.len() > max_values) {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!("The filter `{}` has {} Values; at most {max_values} are allowed.", f.name, f.values.len()),
        ));
    }
    for f in filters.iter() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filters(n: usize, values: usize) -> Filters {
        let one = json!({"Name": "vpc-id", "Values": (0..values).map(|i| format!("vpc-{i}")).collect::<Vec<_>>()});
        serde_json::from_value(json!(vec![one; n])).unwrap()
    }

    #[test]
    fn filter_and_value_counts_at_and_over_the_limits() {
        assert!(check(&filters(MAX_FILTERS, 1), &["vpc-id"], VPC_FILTER_VALUES).is_ok());
        let e = check(&filters(MAX_FILTERS + 1, 1), &["vpc-id"], VPC_FILTER_VALUES).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue.LimitExceeded");
        assert!(check(&filters(1, CVM_FILTER_VALUES), &["vpc-id"], CVM_FILTER_VALUES).is_ok());
        let e = check(&filters(1, CVM_FILTER_VALUES + 1), &["vpc-id"], CVM_FILTER_VALUES).unwrap_err();
        assert!(e.message.contains("at most 5"), "{}", e.message);
        assert!(check(&filters(1, VPC_FILTER_VALUES), &["vpc-id"], VPC_FILTER_VALUES).is_ok());
        assert!(check(&filters(1, VPC_FILTER_VALUES + 1), &["vpc-id"], VPC_FILTER_VALUES).is_err());
    }
}
