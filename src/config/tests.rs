use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn unset_variables_take_the_documented_defaults() {
    assert_eq!(Config::from_vars(&vars(&[])).unwrap(), Config::default());
    let c = Config::default();
    assert_eq!(c.member_role_name, "OrganizationAccountAccessRole");
    assert_eq!(
        (c.on_disable, c.on_departure),
        (Removal::Retain, Removal::Retain)
    );
    assert!(!c.dry_run);
    assert_eq!(c.max_concurrency, 16);
    assert_eq!(c.topic_arn, None);
    assert_eq!(c.chat_topic_arn, None);
}

#[test]
fn every_variable_is_read() {
    let c = Config::from_vars(&vars(&[
        (
            "NOTIFICATION_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:handoffs",
        ),
        (
            "CHAT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:handoffs-chat",
        ),
        ("MEMBER_ROLE_NAME", "MarketplaceRoleReconciler"),
        ("ON_DISABLE", "delete"),
        ("ON_DEPARTURE", "delete"),
        ("DRY_RUN", "TRUE"),
        ("MAX_CONCURRENCY", "4"),
        ("STATE_TABLE_NAME", "handoff-state"),
        (
            "CONTINUATION_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/continuation",
        ),
        ("REMIND_AFTER", "12h"),
        (
            "EXPECTED_SERVICES",
            "sso.amazonaws.com, CloudTrail.amazonaws.com,sso.amazonaws.com",
        ),
        (
            "EXPECTED_DELEGATED_ADMINS",
            "guardduty.amazonaws.com=111122223333",
        ),
        ("SECURITY_HUB_FINDINGS", "True"),
    ]))
    .unwrap();
    assert_eq!(
        c,
        Config {
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:handoffs".into()),
            chat_topic_arn: Some("arn:aws:sns:us-east-1:123456789012:handoffs-chat".into()),
            member_role_name: "MarketplaceRoleReconciler".into(),
            on_disable: Removal::Delete,
            on_departure: Removal::Delete,
            dry_run: true,
            max_concurrency: 4,
            state_table: Some("handoff-state".into()),
            continuation_queue_url: Some(
                "https://sqs.us-east-1.amazonaws.com/123456789012/continuation".into()
            ),
            remind_after: Duration::from_secs(12 * 3600),
            expected_services: Some(vec![
                "sso.amazonaws.com".into(),
                "cloudtrail.amazonaws.com".into()
            ]),
            expected_delegated_admins: Some(ExpectedAdmins::from([(
                "guardduty.amazonaws.com".into(),
                ["111122223333".to_string()].into()
            )])),
            security_hub_findings: true,
        }
    );
}

#[test]
fn findings_need_the_state_table_and_take_only_true_or_false() {
    let e = Config::from_vars(&vars(&[("SECURITY_HUB_FINDINGS", "true")])).unwrap_err();
    assert_eq!(e.variable, "SECURITY_HUB_FINDINGS");
    assert!(e.to_string().contains("STATE_TABLE_NAME"), "{e}");
    let e = Config::from_vars(&vars(&[("SECURITY_HUB_FINDINGS", "yes")])).unwrap_err();
    assert_eq!(
        (e.variable, e.value.as_str()),
        ("SECURITY_HUB_FINDINGS", "yes")
    );
    let off = Config::from_vars(&vars(&[("SECURITY_HUB_FINDINGS", "false")])).unwrap();
    assert!(!off.security_hub_findings);
}

#[test]
fn expected_delegated_admins_are_pairs_a_principal_repeated_per_account_or_none() {
    let read = parse_expected_admins(
        "GuardDuty.amazonaws.com.=111122223333, storage-lens.s3.amazonaws.com=111122223333,\
         storage-lens.s3.amazonaws.com=444455556666,sso.amazonaws.com=",
    )
    .unwrap();
    let accounts = |p: &str| read[p].iter().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(accounts("guardduty.amazonaws.com"), ["111122223333"]);
    assert_eq!(
        accounts("storage-lens.s3.amazonaws.com"),
        ["111122223333", "444455556666"]
    );
    assert!(accounts("sso.amazonaws.com").is_empty());
}

#[test]
fn a_bad_value_names_the_variable_and_the_accepted_values() {
    for (name, value) in [
        ("ON_DISABLE", "delet"),
        ("ON_DEPARTURE", "remove"),
        ("DRY_RUN", "yes"),
        ("MAX_CONCURRENCY", "0"),
        ("MAX_CONCURRENCY", "many"),
        ("NOTIFICATION_TOPIC_ARN", "handoffs"),
        ("CHAT_TOPIC_ARN", "handoffs-chat"),
        (
            "CHAT_TOPIC_ARN",
            "arn:aws:sqs:us-east-1:123456789012:handoffs-chat",
        ),
        ("MEMBER_ROLE_NAME", "bad/name"),
        ("STATE_TABLE_NAME", "a"),
        ("CONTINUATION_QUEUE_URL", "continuation"),
        ("REMIND_AFTER", "0h"),
        ("REMIND_AFTER", "24"),
        ("REMIND_AFTER", "1w"),
        ("REMIND_AFTER", "5é"),
        ("REMIND_AFTER", "é"),
        ("REMIND_AFTER", "éh"),
        ("REMIND_AFTER", "+5h"),
        ("MAX_CONCURRENCY", "４"),
        ("MEMBER_ROLE_NAME", "rôle"),
        ("STATE_TABLE_NAME", "tablé"),
        (
            "EXPECTED_SERVICES",
            "sso.amazonaws.com,,config.amazonaws.com",
        ),
        ("EXPECTED_SERVICES", "not a principal"),
        ("EXPECTED_DELEGATED_ADMINS", "guardduty.amazonaws.com"),
        ("EXPECTED_DELEGATED_ADMINS", "guardduty.amazonaws.com=12345"),
        ("EXPECTED_DELEGATED_ADMINS", "GuardDuty=111122223333"),
    ] {
        let err = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
        assert_eq!(err.variable, name);
        let text = err.to_string();
        assert!(text.contains(name) && text.contains(value), "{text}");
        assert!(text.contains("expected"), "{text}");
    }
}
