//! `eniplane config print` as a user runs it: flags, environment and a config file together, each
//! value with its source, secrets redacted, nothing created.

use serde_json::Value;

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(args)
        .env_remove("ENIPLANE_DATABASE_URL")
        .env_remove("ENIPLANE_METRICS_TOKEN")
        .env_remove("ENIPLANE_ADMIN_TOKEN")
        .env_remove("ENIPLANE_LOG_FORMAT")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn each_value_shows_where_it_came_from_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eniplane.toml");
    std::fs::write(&file, "[http]\nidle_timeout_ms = 7000\n[log]\nformat = \"json\"\n").unwrap();
    let data = dir.path().join("data");
    let env = [
        ("ENIPLANE_METRICS_TOKEN", "env-metrics-secret"),
        ("ENIPLANE_DATABASE_URL", "postgres://app:db-password@db.internal:5432/eniplane"),
        ("ENIPLANE_LOG_FORMAT", "text"),
    ];
    let args = [
        "config",
        "print",
        "--config",
        file.to_str().unwrap(),
        "--listen",
        "4999",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let (ok, out, err) = run(&[&args[..], &["--json"]].concat(), &env);
    assert!(ok, "{err}");
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    let get = |key: &str| {
        let s = all.iter().find(|s| s["setting"] == key).unwrap_or_else(|| panic!("{key} in {out}"));
        (s["value"].as_str().unwrap().to_string(), s["source"].as_str().unwrap().to_string())
    };
    assert_eq!(get("listen"), ("127.0.0.1:4999".into(), "flag --listen".into()));
    assert_eq!(get("metrics.token"), ("(set, redacted)".into(), "env ENIPLANE_METRICS_TOKEN".into()));
    assert_eq!(
        get("database_url"),
        ("postgres://app:***@db.internal:5432/eniplane".into(), "env ENIPLANE_DATABASE_URL".into())
    );
    assert_eq!(get("log.format"), ("text".into(), "env ENIPLANE_LOG_FORMAT".into()), "the environment beats the file");
    assert_eq!(get("http.idle_timeout_ms").0, "7000");
    assert_eq!(get("http.idle_timeout_ms").1, format!("file {}", file.display()));
    assert_eq!(get("http.max_connections"), ("512".into(), "default".into()));
    assert_eq!(get("transition_delay_ms"), ("500".into(), "default".into()));
    for secret in ["env-metrics-secret", "db-password"] {
        assert!(!out.contains(secret), "{secret} printed: {out}");
    }
    assert!(!data.exists(), "config print creates nothing");

    let (ok, text, err) = run(&args, &env);
    assert!(ok, "{err}");
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("SETTING") && header.contains("VALUE") && header.ends_with("SOURCE"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("listen ") && l.ends_with("flag --listen")), "{text}");
}

#[test]
fn a_bad_value_is_an_error_before_anything_runs() {
    let (ok, _, err) = run(&["config", "print", "--transition-delay-ms", "999999"], &[]);
    assert!(!ok);
    assert!(err.contains("out of range"), "{err}");
    let (ok, _, err) = run(&["serve", "--listen", "localhost"], &[]);
    assert!(!ok);
    assert!(err.contains("neither HOST:PORT"), "{err}");
}
