//! Table tests for policy parsing, wildcard matching and Allow / Deny evaluation.

use super::*;
use proptest::prelude::*;

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::from_json(json).unwrap()
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
fn parses_ram_and_cam_spellings() {
    let ram = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ens:*","Resource":"*"}]}"#);
    assert_eq!(ram.version.as_deref(), Some("1"));
    assert_eq!(ram.statement[0].effect, Effect::Allow);
    assert_eq!(ram.statement[0].action, ["ens:*"]);
    let cam = doc(
        r#"{"version":"2.0","statement":[{"effect":"deny","action":["vpc:DescribeVpcs","vpc:Create*"],"resource":["*"],"principal":{"qcs":["x"]}}]}"#,
    );
    assert_eq!(cam.version.as_deref(), Some("2.0"));
    assert_eq!(cam.statement[0].effect, Effect::Deny);
    assert_eq!(cam.statement[0].action, ["vpc:DescribeVpcs", "vpc:Create*"]);
    assert_eq!(cam.statement[0].resource, ["*"]);
    assert!(PolicyDocument::from_json(r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#).is_err());
    assert!(PolicyDocument::from_json(r#"{"Statement":[{"Effect":"Allow","Action":1,"Resource":"*"}]}"#).is_err());
    assert!(PolicyDocument::from_json("not json").is_err());
    assert!(doc("{}").statement.is_empty());
}

#[test]
fn evaluation_table() {
    let allow_ens = doc(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ens:*","Resource":"*"}]}"#);
    let deny_detach = doc(r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":["ens:Detach*"],"Resource":"*"}]}"#);
    let allow_instance = doc(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ens:StartInstance","Resource":"acs:ens:*:123:instance/i-?1"}]}"#,
    );
    let cam = doc(
        r#"{"version":"2.0","statement":[{"effect":"allow","action":"vpc:*NetworkInterface*","resource":"*"},
            {"effect":"deny","action":"vpc:DisassociateNetworkInterfaceSecurityGroups","resource":"qcs::vpc:ap-guangzhou:uin/1:eni/*"}]}"#,
    );
    let conditional_allow = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8"]}}}]}"#,
    );
    let conditional_deny = doc(
        r#"{"Statement":[{"Effect":"Deny","Action":"ens:Delete*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":["false"]}}}]}"#,
    );
    use Decision::*;
    let cases: Vec<(Vec<&PolicyDocument>, &str, &str, Decision)> = vec![
        (vec![], "ens:DetachNetworkInterface", "*", ImplicitDeny),
        (vec![&allow_ens], "ens:DetachNetworkInterface", "*", Allow),
        (vec![&allow_ens], "ENS:detachnetworkinterface", "*", Allow),
        (vec![&allow_ens], "vpc:DescribeVpcs", "*", ImplicitDeny),
        (vec![&allow_ens, &deny_detach], "ens:DetachNetworkInterface", "*", ExplicitDeny),
        (vec![&deny_detach, &allow_ens], "ens:DetachNetworkInterface", "*", ExplicitDeny),
        (vec![&allow_ens, &deny_detach], "ens:AttachNetworkInterface", "*", Allow),
        (vec![&deny_detach], "ens:AttachNetworkInterface", "*", ImplicitDeny),
        (vec![&allow_instance], "ens:StartInstance", "acs:ens:*:123:instance/i-x1", Allow),
        (vec![&allow_instance], "ens:StartInstance", "acs:ens:*:123:instance/i-xx1", ImplicitDeny),
        (vec![&allow_instance], "ens:StartInstance", "ACS:ens:*:123:instance/i-x1", ImplicitDeny),
        (vec![&allow_instance], "ens:StopInstance", "acs:ens:*:123:instance/i-x1", ImplicitDeny),
        (vec![&cam], "vpc:AttachNetworkInterface", "qcs::vpc:ap-guangzhou:uin/1:eni/eni-1", Allow),
        (
            vec![&cam],
            "vpc:DisassociateNetworkInterfaceSecurityGroups",
            "qcs::vpc:ap-guangzhou:uin/1:eni/eni-1",
            ExplicitDeny,
        ),
        (vec![&cam], "vpc:DisassociateNetworkInterfaceSecurityGroups", "*", Allow),
        (vec![&cam], "vpc:DescribeVpcs", "*", ImplicitDeny),
        (vec![&conditional_allow], "ens:DescribeInstances", "*", ImplicitDeny),
        (vec![&allow_ens, &conditional_deny], "ens:DeleteNetworkInterfaces", "*", ExplicitDeny),
        (vec![&allow_ens, &conditional_deny], "ens:DescribeInstances", "*", Allow),
    ];
    for (policies, action, resource, want) in cases {
        let owned: Vec<PolicyDocument> = policies.into_iter().cloned().collect();
        assert_eq!(evaluate(&owned, action, resource), want, "{action} on {resource}");
    }
}

#[test]
fn statement_without_action_or_resource_matches_nothing() {
    let d = doc(r#"{"Statement":[{"Effect":"Deny","Resource":"*"},{"Effect":"Allow","Action":"*"}]}"#);
    assert_eq!(evaluate(&[d], "ens:Anything", "*"), Decision::ImplicitDeny);
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
    fn from_json_never_panics(s in "\\PC*") {
        let _ = PolicyDocument::from_json(&s);
    }
}
