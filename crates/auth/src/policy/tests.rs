//! Table tests for the strict policy grammar, wildcard matching and Allow / Deny evaluation.

use super::*;
use proptest::prelude::*;
use serde_json::json;

const ACCOUNT: &str = "100000000001";

fn policy(v: serde_json::Value) -> Policy {
    Policy::from_value(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn refusal(text: &str) -> String {
    match Policy::parse(text) {
        Ok(p) => panic!("accepted {text}: {p:?}"),
        Err(e) => e.0,
    }
}

fn decide(policies: &[&Policy], action: &str, resource: &str) -> Decision {
    let owned: Vec<Policy> = policies.iter().map(|p| (*p).clone()).collect();
    evaluate(&owned, &Request { action, resource, account: ACCOUNT })
}

#[test]
fn wildcard_table() {
    let cases = [
        ("*", "", true),
        ("*", "anything", true),
        ("", "", true),
        ("", "a", false),
        ("ens:*", "ens:DetachNetworkInterface", true),
        ("ens:Describe*", "ens:DescribeNetworkInterfaces", true),
        ("ens:Describe*", "ens:DetachNetworkInterface", false),
        ("ens:*NetworkInterface", "ens:DetachNetworkInterface", true),
        ("ens:*NetworkInterface", "ens:DetachNetworkInterfaces", false),
        ("ens:?etach*", "ens:DetachNetworkInterface", true),
        ("ens:?etach*", "ens:etach", false),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
        ("**a**", "bab", true),
        ("é?", "éx", true),
    ];
    for (pat, text, want) in cases {
        assert_eq!(wildcard_match(pat, text, false), want, "{pat} vs {text}");
    }
    assert!(wildcard_match("ENS:detach*", "ens:DetachNetworkInterface", true));
    assert!(!wildcard_match("ENS:detach*", "ens:DetachNetworkInterface", false));
}

#[test]
fn accepts_both_spellings() {
    let ram = policy(json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ens:*", "Resource": "*"}]}));
    assert_eq!(ram.statements().len(), 1);
    assert_eq!(ram.statements()[0].effect, Effect::Allow);
    assert_eq!(ram.statements()[0].resources, Scope::Listed(vec![ResourcePattern::Any]));
    let cam = policy(json!({"version": "2.0", "statement": [
        {"effect": "deny", "action": ["vpc:DescribeVpcs", "name/vpc:Create*"], "resource": ["*"]}
    ]}));
    assert_eq!(cam.statements()[0].effect, Effect::Deny);
    let Scope::Listed(actions) = &cam.statements()[0].actions else { panic!("listed") };
    assert_eq!(
        actions,
        &[ActionPattern::parse("vpc:describevpcs").unwrap(), ActionPattern::parse("vpc:create*").unwrap()]
    );
    let not = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Deny", "NotAction": ["ens:Describe*"], "NotResource": "acs:ens:*:*:instance/i-1"}
    ]}));
    assert!(matches!(not.statements()[0].actions, Scope::AllBut(_)));
    assert!(matches!(not.statements()[0].resources, Scope::AllBut(_)));
}

#[test]
fn refuses_what_is_not_enforced_naming_it() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
            "Statement 1: Condition is not supported",
        ),
        (
            r#"{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{}}]}"#,
            "statement 1: condition is not supported",
        ),
        (
            r#"{"version":"2.0","principal":{"qcs":["qcs::cam::uin/1:root"]},"statement":[{"effect":"allow","action":"*","resource":"*"}]}"#,
            "principal is not supported",
        ),
        (
            r#"{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","principal":{}}]}"#,
            "statement 1: principal is not supported",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":{}}]}"#,
            "Statement 1: Principal is not supported",
        ),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}"#, "Statement 1: Resource is required"),
        (r#"{"version":"2.0","statement":[{"effect":"allow","action":"*"}]}"#, "statement 1: resource is required"),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}"#, "Statement 1: Action is required"),
        (r#"{"Version":"1","Statement":[{"Action":"*","Resource":"*"}]}"#, "Statement 1: Effect is required"),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
            "Effect \"Maybe\" is neither Allow nor Deny",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","NotAction":"vpc:*","Resource":"*"}]}"#,
            "has Action or NotAction, not both",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#,
            "has Resource or NotResource, not both",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            "Action must name at least one pattern",
        ),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Acton":"*","Resource":"*"}]}"#, "unknown field `Acton`"),
        (r#"{"Version":"1","Statment":[]}"#, "unknown field `Statment`"),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Sid":"x"}]}"#,
            "unknown field `Sid`",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}]}"#,
            "duplicate field `Effect`",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","action":"*","Resource":"*"}]}"#,
            "action does not belong in a RAM document",
        ),
        (
            r#"{"version":"2.0","statement":[{"effect":"allow","NotAction":"*","resource":"*"}]}"#,
            "NotAction does not belong in a CAM document",
        ),
        (r#"{"Version":"1","statement":[]}"#, "mixes RAM spelling"),
        (
            r#"{"Version":"2.0","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "Version \"2.0\" is not supported; the only version is \"1\"",
        ),
        (
            r#"{"version":"3.0","statement":[{"effect":"allow","action":"*","resource":"*"}]}"#,
            "version \"3.0\" is not supported",
        ),
        (r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, "Version is required"),
        (r#"{"Version":"1"}"#, "Statement is required"),
        (r#"{"Version":"1","Statement":[]}"#, "Statement must hold at least one statement"),
        (
            r#"{"Version":"1","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            "expected a list of statements",
        ),
        (r#"{}"#, "a policy has Version and Statement (RAM) or version and statement (CAM)"),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":1,"Resource":"*"}]}"#,
            "expected a string or a list of strings",
        ),
        ("not json", "not a policy document"),
        (r#"[]"#, "not a policy document"),
    ];
    for (text, expected) in cases {
        let m = refusal(text);
        assert!(m.contains(expected), "{text}\n  got: {m}\n  want: {expected}");
    }
}

#[test]
fn action_grammar() {
    for good in ["*", "vpc:DescribeVpcs", "name/vpc:Describe*", "cvm:RunInstances", "ens:?tart*", "*:Describe*", "v*:*"]
    {
        assert!(ActionPattern::parse(good).is_ok(), "{good}");
    }
    for (bad, why) in [
        ("vpc", "expected * or <service>:<action>"),
        ("vpc:", "the action name"),
        (":Describe", "the service"),
        ("ecs:DescribeInstances", "vpc, cvm and ens services only"),
        ("vcp:DeleteVpc", "vpc, cvm and ens services only"),
        ("permid/vpc:x", "the service"),
        ("vpc:Describe Vpcs", "the action name"),
        ("vpc:Describé", "the action name"),
    ] {
        let e = ActionPattern::parse(bad).unwrap_err();
        assert!(e.0.contains(why), "{bad}: {e}");
    }
}

#[test]
fn resource_grammar() {
    for good in [
        "*",
        "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-12345678",
        "qcs::vpc::uin/100000000001:eni/*",
        "qcs::vpc:ap-guangzhou::eni/*",
        "qcs:::ap-guangzhou:uin/1:*",
        "qcs::cvm:*:uin/*:instance/ins-*",
        "acs:ens:*:100000000001:instance/i-1",
        "acs:ens::100000000001:*",
        "acs:ens:cn-beijing-15:*:networkinterface/eni-*",
        "acs:e*:*:*:*",
    ] {
        assert!(ResourcePattern::parse(good).is_ok(), "{good}");
    }
    for (bad, why) in [
        ("eni/eni-1", "expected *"),
        ("qcs:1:vpc:ap-guangzhou:uin/1:eni/eni-1", "expected *"),
        ("qcs::vpc:ap-guangzhou:uin/1", "expected *"),
        ("qcs::clb:ap-guangzhou:uin/1:lb/*", "the service is vpc or cvm"),
        ("qcs::vpc:AP-Guangzhou:uin/1:eni/*", "the region"),
        ("qcs::vpc:ap-guangzhou:1:eni/*", "uin/<account id>"),
        ("qcs::vpc:ap-guangzhou:uid/1:eni/*", "uin/<account id>"),
        ("qcs::vpc:ap-guangzhou:uin/:eni/*", "uin/<account id>"),
        ("qcs::vpc:ap-guangzhou:uin/1:eni", "<type>/<id>"),
        ("qcs::vpc:ap-guangzhou:uin/1:/x", "the resource type"),
        ("qcs::vpc:ap-guangzhou:uin/1:eni/", "the resource id"),
        ("qcs::vpc:ap-guangzhou:uin/1:eni/a b", "the resource id"),
        ("acs:ens:*::instance/*", "the account is the account id or *"),
        ("acs::*:1:instance/*", "the service is ens"),
        ("acs:ecs:*:1:instance/*", "the service is ens"),
        ("acs:vpc:*:1:instance/*", "the service is ens"),
        ("qcs::ens:ap-guangzhou:uin/1:eni/*", "the service is vpc or cvm"),
        ("acs:ens:*:1:instance/é", "the resource id"),
    ] {
        let e = ResourcePattern::parse(bad).unwrap_err();
        assert!(e.0.contains(why), "{bad}: {e}");
    }
}

#[test]
fn limits() {
    let big = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"{}"}}]}}"#,
        "a".repeat(MAX_DOCUMENT_BYTES)
    );
    assert!(refusal(&big).contains("longer than 16384 bytes"));
    let stmt = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    let many = format!(r#"{{"Version":"1","Statement":[{}]}}"#, vec![stmt; MAX_STATEMENTS + 1].join(","));
    assert!(refusal(&many).contains("more than 100 statements"));
    let ok = format!(r#"{{"Version":"1","Statement":[{}]}}"#, vec![stmt; MAX_STATEMENTS].join(","));
    assert_eq!(Policy::parse(&ok).unwrap().statements().len(), MAX_STATEMENTS);
    let patterns = vec!["\"ens:A\""; MAX_PATTERNS + 1].join(",");
    let wide = format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":[{patterns}],"Resource":"*"}}]}}"#);
    assert!(refusal(&wide).contains("more than 100 patterns"));
    let long = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"ens:{}","Resource":"*"}}]}}"#,
        "A".repeat(MAX_PATTERN_LEN)
    );
    assert!(refusal(&long).contains("longer than 512 bytes"));
}

#[test]
fn explicit_deny_wins_and_nothing_is_implicit_deny() {
    let allow_ens =
        policy(json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ens:*", "Resource": "*"}]}));
    let deny_detach =
        policy(json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": ["ens:Detach*"], "Resource": "*"}]}));
    use Decision::*;
    let r = "acs:ens:*:100000000001:instance/i-1";
    assert_eq!(decide(&[], "ens:DetachNetworkInterface", r), ImplicitDeny);
    assert_eq!(decide(&[&allow_ens], "ens:DetachNetworkInterface", r), Allow);
    assert_eq!(decide(&[&allow_ens], "ENS:detachnetworkinterface", r), Allow, "actions ignore case");
    assert_eq!(decide(&[&allow_ens], "vpc:DescribeVpcs", r), ImplicitDeny);
    assert_eq!(decide(&[&allow_ens, &deny_detach], "ens:DetachNetworkInterface", r), ExplicitDeny);
    assert_eq!(decide(&[&deny_detach, &allow_ens], "ens:DetachNetworkInterface", r), ExplicitDeny);
    assert_eq!(decide(&[&allow_ens, &deny_detach], "ens:AttachNetworkInterface", r), Allow);
    assert_eq!(decide(&[&deny_detach], "ens:AttachNetworkInterface", r), ImplicitDeny);
}

#[test]
fn resources_are_case_sensitive_and_segmented() {
    let allow_instance = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ens:StartInstance", "Resource": "acs:ens:*:100000000001:instance/i-?1"}]}));
    use Decision::*;
    let a = |r: &str| decide(&[&allow_instance], "ens:StartInstance", r);
    assert_eq!(a("acs:ens:cn-beijing-15:100000000001:instance/i-x1"), Allow);
    assert_eq!(a("acs:ens:*:100000000001:instance/i-x1"), Allow, "a * region pattern covers an unknown region");
    assert_eq!(a("acs:ens:cn-beijing-15:100000000001:instance/i-xx1"), ImplicitDeny);
    assert_eq!(a("acs:ens:cn-beijing-15:100000000001:instance/I-x1"), ImplicitDeny, "resources keep case");
    assert_eq!(a("ACS:ens:cn-beijing-15:100000000001:instance/i-x1"), ImplicitDeny);
    assert_eq!(a("acs:ens:cn-beijing-15:100000000002:instance/i-x1"), ImplicitDeny, "another account");
    assert_eq!(a("qcs::cvm:cn-beijing-15:uin/100000000001:instance/i-x1"), ImplicitDeny, "another grammar");
    assert_eq!(decide(&[&allow_instance], "ens:StopInstance", "acs:ens:*:100000000001:instance/i-x1"), ImplicitDeny);
}

#[test]
fn cam_empty_segments() {
    use Decision::*;
    let own = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:::eni/*"}]}));
    let eni = |account: &str| format!("qcs::vpc:ap-guangzhou:uin/{account}:eni/eni-1");
    assert_eq!(decide(&[&own], "vpc:AttachNetworkInterface", &eni(ACCOUNT)), Allow, "empty region: every region");
    assert_eq!(decide(&[&own], "vpc:AttachNetworkInterface", &eni("100000000002")), ImplicitDeny, "empty account: own");
    let any_service = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "*", "resource": "qcs:::ap-guangzhou:uin/100000000001:*"}]}));
    assert_eq!(decide(&[&any_service], "cvm:RunInstances", "qcs::cvm:ap-guangzhou:uin/100000000001:instance/*"), Allow);
    assert_eq!(
        decide(&[&any_service], "cvm:RunInstances", "qcs::cvm:ap-shanghai:uin/100000000001:instance/*"),
        ImplicitDeny
    );
}

#[test]
fn tencent_resource_level_statements() {
    use Decision::*;
    let cam = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*NetworkInterface*", "resource": "*"},
        {"effect": "deny", "action": "vpc:DisassociateNetworkInterfaceSecurityGroups",
         "resource": "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1"}]}));
    let d = |r: &str| decide(&[&cam], "vpc:DisassociateNetworkInterfaceSecurityGroups", r);
    assert_eq!(d("qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1"), ExplicitDeny);
    assert_eq!(d("qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-2"), Allow);
    assert_eq!(d("qcs::vpc:ap-shanghai:uin/100000000001:eni/eni-1"), Allow);
    // What the request cannot name falls under a narrow Deny.
    assert_eq!(d("qcs::vpc:ap-guangzhou:uin/100000000001:*"), ExplicitDeny);
    assert_eq!(d("qcs::vpc:*:uin/100000000001:eni/eni-1"), ExplicitDeny);
    assert_eq!(d("*"), ExplicitDeny);
    assert_eq!(
        decide(&[&cam], "vpc:AttachNetworkInterface", "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1"),
        Allow
    );
    assert_eq!(decide(&[&cam], "vpc:DescribeVpcs", "*"), ImplicitDeny);
}

#[test]
fn unknown_segments_need_a_wide_allow() {
    use Decision::*;
    let narrow = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1"}]}));
    let wide = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:*:uin/100000000001:*"}]}));
    for r in ["qcs::vpc:ap-guangzhou:uin/100000000001:*", "qcs::vpc:*:uin/100000000001:eni/eni-1", "*", "garbage"] {
        assert_eq!(decide(&[&narrow], "vpc:DeleteNetworkInterface", r), ImplicitDeny, "{r}");
    }
    assert_eq!(decide(&[&wide], "vpc:DeleteNetworkInterface", "qcs::vpc:*:uin/100000000001:*"), Allow);
    assert_eq!(decide(&[&wide], "vpc:DeleteNetworkInterface", "*"), ImplicitDeny, "the grammar is not known");
    let any = policy(json!({"version": "2.0", "statement": [{"effect": "allow", "action": "vpc:*", "resource": "*"}]}));
    assert_eq!(decide(&[&any], "vpc:DeleteNetworkInterface", "*"), Allow);
}

#[test]
fn type_level_names_and_the_ens_region() {
    use Decision::*;
    // The dialects name "any ENI" (a create, a list) as `eni/*`: matched as written.
    let deny_one = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "*"},
        {"effect": "deny", "action": "vpc:*", "resource": "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-1"}]}));
    let any_eni = "qcs::vpc:ap-guangzhou:uin/100000000001:eni/*";
    assert_eq!(decide(&[&deny_one], "vpc:CreateNetworkInterface", any_eni), Allow);
    let allow_enis = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:ap-guangzhou:uin/100000000001:eni/*"}]}));
    assert_eq!(decide(&[&allow_enis], "vpc:CreateNetworkInterface", any_eni), Allow);
    let allow_prefix = policy(json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "qcs::vpc:ap-guangzhou:uin/100000000001:eni/eni-a*"}]}));
    assert_eq!(decide(&[&allow_prefix], "vpc:CreateNetworkInterface", any_eni), ImplicitDeny);
    // ENS names no region: a statement for one region never allows and always denies.
    let instance = "acs:ens:*:100000000001:instance/i-1";
    let regional = |effect: &str| {
        policy(json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "ens:*", "Resource": if effect == "Deny" { "*" } else { "acs:ens:cn-beijing-15:*:*" }},
            {"Effect": effect, "Action": "ens:StopInstance", "Resource": "acs:ens:cn-beijing-15:*:instance/*"}]}))
    };
    assert_eq!(decide(&[&regional("Allow")], "ens:StopInstance", instance), ImplicitDeny);
    assert_eq!(decide(&[&regional("Deny")], "ens:StopInstance", instance), ExplicitDeny);
    assert_eq!(decide(&[&regional("Deny")], "ens:StartInstance", instance), Allow);
}

#[test]
fn not_action_and_not_resource() {
    use Decision::*;
    let all_but_delete = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "NotAction": ["ens:Delete*", "ens:Stop*"], "Resource": "*"}]}));
    assert_eq!(decide(&[&all_but_delete], "ens:DescribeInstances", "*"), Allow);
    assert_eq!(decide(&[&all_but_delete], "ens:DeleteNetworkInterfaces", "*"), ImplicitDeny);
    assert_eq!(decide(&[&all_but_delete], "ens:stopinstances", "*"), ImplicitDeny, "NotAction ignores case too");

    let deny_all_but_reads = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ens:*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "ens:Describe*", "Resource": "*"}]}));
    assert_eq!(decide(&[&deny_all_but_reads], "ens:DescribeNetworks", "*"), Allow);
    assert_eq!(decide(&[&deny_all_but_reads], "ens:CreateNetwork", "*"), ExplicitDeny);

    let i = |id: &str| format!("acs:ens:*:100000000001:instance/{id}");
    let allow_but_prod = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ens:*", "NotResource": "acs:ens:*:100000000001:instance/i-prod*"}]}));
    assert_eq!(decide(&[&allow_but_prod], "ens:StopInstance", &i("i-dev1")), Allow);
    assert_eq!(decide(&[&allow_but_prod], "ens:StopInstance", &i("i-prod1")), ImplicitDeny);
    assert_eq!(
        decide(&[&allow_but_prod], "ens:StopInstance", "acs:ens:*:100000000001:*"),
        ImplicitDeny,
        "might be prod"
    );

    let deny_but_dev = policy(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ens:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ens:Stop*", "NotResource": "acs:ens:*:100000000001:instance/i-dev*"}]}));
    assert_eq!(decide(&[&deny_but_dev], "ens:StopInstance", &i("i-dev1")), Allow);
    assert_eq!(decide(&[&deny_but_dev], "ens:StopInstances", &i("i-prod1")), ExplicitDeny);
    assert_eq!(
        decide(&[&deny_but_dev], "ens:StopInstances", "acs:ens:*:100000000001:*"),
        ExplicitDeny,
        "might not be dev"
    );
}

proptest! {
    #[test]
    fn wildcard_never_panics(p in "[a*?é]{0,30}", t in "[ab é]{0,40}", ci in any::<bool>()) {
        let _ = wildcard_match(&p, &t, ci);
    }

    #[test]
    fn literal_pattern_matches_itself(s in "[^*?]{0,30}") {
        prop_assert!(wildcard_match(&s, &s, false));
        prop_assert!(wildcard_match("*", &s, false));
    }

    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = Policy::parse(&s);
    }

    #[test]
    fn resource_parse_and_match_never_panic(p in "[aqcs:*/?é0-9a-z-]{0,40}", r in "[aqcs:*/é0-9a-z-]{0,40}") {
        if let Ok(pat) = ResourcePattern::parse(&p) {
            let req = pattern::RequestResource::parse(&r);
            // Whatever is covered for certain may be covered.
            prop_assert!(!pat.covers(&req, ACCOUNT) || pat.may_cover(&req, ACCOUNT));
        }
    }
}
