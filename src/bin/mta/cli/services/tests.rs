//! The unit tests of `mta services`.

use super::*;
use serde_json::json;

fn enabled(principal: &str, at: &str) -> EnabledService {
    EnabledService {
        principal: principal.into(),
        enabled_at: Some(at.into()),
    }
}

fn org() -> Option<OrgIdentity> {
    Some(OrgIdentity {
        organization_id: "o-abc".into(),
        management_account_id: "111111111111".into(),
    })
}

fn given(principals: &[&str]) -> Option<Expectation> {
    Some(Expectation {
        principals: principals.iter().map(|p| p.to_string()).collect(),
        from: FLAG,
    })
}

fn sample() -> (Vec<EnabledService>, Vec<DelegatedAdmin>) {
    (
        vec![
            enabled("sso.amazonaws.com", "2024-05-01T10:00:00Z"),
            enabled("guardduty.amazonaws.com", "2024-05-02T10:00:00Z"),
            enabled("new-thing.amazonaws.com", "2024-05-03T10:00:00Z"),
        ],
        vec![
            DelegatedAdmin {
                account_id: "333333333333".into(),
                name: "audit".into(),
                principals: vec!["guardduty.amazonaws.com".into()],
            },
            DelegatedAdmin {
                account_id: "222222222222".into(),
                name: "security".into(),
                principals: vec![
                    "GuardDuty.amazonaws.com".into(),
                    "cloudtrail.amazonaws.com".into(),
                ],
            },
        ],
    )
}

#[test]
fn without_an_expectation_every_enabled_service_is_listed_and_nothing_drifts() {
    let (on, admins) = sample();
    let view = ServicesView::new(org(), &on, &admins, None);
    assert!(!view.drift);
    assert_eq!(services_exit(&view), Exit::InPlace);
    let json: serde_json::Value = serde_json::from_str(&view.to_json()).unwrap();
    assert_eq!(
        json,
        json!({
            "organization": {"organizationId": "o-abc", "managementAccountId": "111111111111"},
            "services": [
                {"principal": "guardduty.amazonaws.com", "name": "Amazon GuardDuty",
                 "enabledAt": "2024-05-02T10:00:00Z",
                 "delegatedAdministrators": [
                     {"accountId": "222222222222", "name": "security"},
                     {"accountId": "333333333333", "name": "audit"}],
                 "expected": null, "state": "enabled"},
                {"principal": "new-thing.amazonaws.com", "name": null,
                 "enabledAt": "2024-05-03T10:00:00Z", "delegatedAdministrators": [],
                 "expected": null, "state": "enabled"},
                {"principal": "sso.amazonaws.com", "name": "AWS IAM Identity Center",
                 "enabledAt": "2024-05-01T10:00:00Z", "delegatedAdministrators": [],
                 "expected": null, "state": "enabled"},
            ],
            "drift": false,
        })
    );
    let text = view.render();
    assert!(text.starts_with("Organization o-abc (management account 111111111111)\n"));
    assert!(text.contains("Expected services: none given (--expected or EXPECTED_SERVICES)"));
    assert!(text.contains("unknown to the catalog"), "{text}");
    assert!(
        text.contains("222222222222 (security), 333333333333 (audit)"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "3 service(s) with trusted access enabled. No expectation given: nothing is compared.\n"
        ),
        "{text}"
    );
}

#[test]
fn an_expected_service_not_enabled_is_missing_and_an_unexpected_one_is_drift() {
    let (on, admins) = sample();
    let view = ServicesView::new(
        None,
        &on,
        &admins,
        given(&[
            "sso.amazonaws.com",
            "guardduty.amazonaws.com",
            "new-thing.amazonaws.com",
            "cloudtrail.amazonaws.com",
        ]),
    );
    assert!(view.drift);
    assert_eq!(services_exit(&view), Exit::OutOfPlace);
    let missing = view.services.last().unwrap();
    assert_eq!(
        (
            missing.principal.as_str(),
            missing.state,
            missing.expected,
            missing.name
        ),
        (
            "cloudtrail.amazonaws.com",
            ServiceState::Missing,
            Some(true),
            Some("AWS CloudTrail")
        )
    );
    assert_eq!(missing.enabled_at, None);
    assert_eq!(
        missing.delegated_administrators[0].account_id,
        "222222222222"
    );
    assert!(view.organization.is_none());
    assert!(!view.to_json().contains("\"organization\""));

    let view = ServicesView::new(
        org(),
        &on,
        &admins,
        given(&["sso.amazonaws.com", "guardduty.amazonaws.com"]),
    );
    assert!(view.drift);
    let stray: Vec<&str> = view
        .services
        .iter()
        .filter(|s| s.expected == Some(false))
        .map(|s| s.principal.as_str())
        .collect();
    assert_eq!(stray, ["new-thing.amazonaws.com"]);
    let text = view.render();
    assert!(
        text.contains("NOT EXPECTED") && !text.contains("MISSING"),
        "{text}"
    );
    assert!(
        text.contains("3 service(s) with trusted access enabled: 2 expected, 1 not expected; 0 expected but not enabled. Drift"),
        "{text}"
    );

    let view = ServicesView::new(
        org(),
        &on,
        &admins,
        given(&[
            "new-thing.amazonaws.com",
            "sso.amazonaws.com",
            "guardduty.amazonaws.com",
        ]),
    );
    assert!(!view.drift);
    assert!(view.services.iter().all(|s| s.expected == Some(true)));
    assert!(view.render().contains("Everything is as expected."));
}

#[test]
fn the_flag_wins_over_the_variable_and_a_bad_variable_is_an_input_error() {
    let flag = Expected(vec!["sso.amazonaws.com".into()]);
    let from_flag = expectation(Some(&flag), Some("not valid"))
        .unwrap()
        .unwrap();
    assert_eq!((from_flag.principals, from_flag.from), (flag.0, FLAG));
    let from_variable = expectation(None, Some(" Config.amazonaws.com ,sso.amazonaws.com"))
        .unwrap()
        .unwrap();
    assert_eq!(
        from_variable.principals,
        ["config.amazonaws.com", "sso.amazonaws.com"]
    );
    assert_eq!(from_variable.from, VARIABLE);
    assert_eq!(expectation(None, None).unwrap(), None);
    assert_eq!(expectation(None, Some("  ")).unwrap(), None);
    let bad = expectation(None, Some("sso.amazonaws.com,,")).unwrap_err();
    assert_eq!(bad.exit(), Exit::Usage);
    assert!(bad.to_string().contains("EXPECTED_SERVICES"), "{bad}");
}
