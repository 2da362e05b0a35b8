//! Time as the core sees it: Unix milliseconds, passed in by the caller so operations are pure.

/// Current wall-clock time in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_space(ms: i64) -> String {
    datetime(ms).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_iso(ms: i64) -> String {
    datetime(ms).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn datetime(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_both_styles() {
        assert_eq!(super::format_space(1_551_113_065_000), "2019-02-25 16:44:25");
        assert_eq!(super::format_iso(1_551_113_065_000), "2019-02-25T16:44:25Z");
    }
}
