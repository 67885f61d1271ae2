use super::asff::{Context, DESCRIPTION_MAX, TITLE_MAX};
use super::*;
use crate::outcome::{AccountResult, ActionResult};
use crate::ports::OrgIdentity;

const DAY: u64 = 86_400;
const T0: u64 = 1_800_000_000;

fn organization() -> OrgIdentity {
    OrgIdentity {
        organization_id: "o-exampleorgid".into(),
        management_account_id: "111111111111".into(),
    }
}

fn context(organization: &OrgIdentity, now: u64) -> Context<'_> {
    Context {
        organization,
        region: "eu-west-1",
        partition: "aws",
        now,
    }
}

fn account(id: &str, failed: bool) -> AccountResult {
    let result = match failed {
        true => ActionResult::Failed,
        false => ActionResult::Done,
    };
    AccountResult::example(id, result)
}

fn outcome(accounts: Vec<AccountResult>, unreached: &[&str]) -> Outcome {
    Outcome {
        trusted_access: true,
        accounts,
        unreached: unreached.iter().map(|a| a.to_string()).collect(),
    }
}

/// Plans from `found`, then remembers every finding as accepted.
fn step(
    found: &Conditions,
    before: &FindingsSet,
    sweep: bool,
    now: u64,
) -> (Findings, FindingsSet) {
    let org = organization();
    let findings = plan(found, before, sweep, &context(&org, now));
    let after = findings
        .remembered(|_| true)
        .unwrap_or_else(|| before.clone());
    (findings, after)
}

fn states(findings: &Findings) -> Vec<(&str, State)> {
    let each = findings.planned.iter();
    each.map(|p| (p.subject.as_str(), p.state)).collect()
}

#[test]
fn a_missing_service_is_failed_refreshed_by_each_sweep_and_passed_once_enabled() {
    let mut found = Conditions::default();
    found.services(&[("sso.amazonaws.com".to_string(), Drift::Missing)].into());
    let (first, memory) = step(&found, &FindingsSet::default(), true, T0);
    assert_eq!(states(&first), [("sso.amazonaws.com", State::Failed)]);
    let document = &first.planned[0].document;
    for attribute in asff::REQUIRED {
        assert!(!document[attribute].is_null(), "{attribute} missing");
    }
    assert_eq!(document["SchemaVersion"], "2018-10-08");
    assert_eq!(
        document["ProductArn"],
        "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default"
    );
    assert_eq!(document["AwsAccountId"], "111111111111");
    assert_eq!(document["Compliance"]["Status"], "FAILED");
    assert_eq!(
        document["FindingProviderFields"]["Types"],
        document["Types"]
    );
    assert!(
        document.get("Workflow").is_none(),
        "Workflow is the customer's"
    );
    let url = document["Remediation"]["Recommendation"]["Url"].as_str();
    assert!(url.unwrap().starts_with("https://docs.aws.amazon.com/"));

    // The next sweep sends it again: the same Id and CreatedAt, a later UpdatedAt.
    let (second, memory) = step(&found, &memory, true, T0 + DAY);
    let again = &second.planned[0].document;
    assert_eq!(again["Id"], document["Id"]);
    assert_eq!(again["CreatedAt"], document["CreatedAt"]);
    assert!(again["UpdatedAt"].as_str() > document["UpdatedAt"].as_str());
    // Another trigger does not send an unchanged one.
    let (quiet, _) = step(&found, &memory, false, T0 + DAY);
    assert!(quiet.planned.is_empty());

    // Enabled: PASSED, with the same Id and CreatedAt, and forgotten.
    let mut found = Conditions::default();
    found.services(&BTreeMap::new());
    let (third, memory) = step(&found, &memory, true, T0 + 2 * DAY);
    assert_eq!(states(&third), [("sso.amazonaws.com", State::Passed)]);
    let passed = &third.planned[0].document;
    assert_eq!(passed["Id"], document["Id"]);
    assert_eq!(passed["CreatedAt"], document["CreatedAt"]);
    assert_eq!(passed["Compliance"]["Status"], "PASSED");
    assert_eq!(passed["RecordState"], "ACTIVE");
    assert!(memory.open.is_empty());
}

#[test]
fn a_failing_account_is_its_resource_passed_when_reached_again_and_archived_when_gone() {
    let mut found = Conditions::default();
    let failing = outcome(
        vec![account("222222222222", true), account("333333333333", true)],
        &[],
    );
    found.accounts(&failing, false, &FindingsSet::default());
    let (first, memory) = step(&found, &FindingsSet::default(), true, T0);
    assert_eq!(
        states(&first),
        [
            ("222222222222", State::Failed),
            ("333333333333", State::Failed)
        ]
    );
    let resource = &first.planned[0].document["Resources"][0];
    assert_eq!(resource["Type"], "AwsAccount");
    assert_eq!(resource["Id"], "AWS::::Account:222222222222");
    // The management account, not the member, owns the finding.
    assert_eq!(first.planned[0].document["AwsAccountId"], "111111111111");

    // 222… has its role again; 333… left the organization (neither reached nor left for later).
    let mut found = Conditions::default();
    let next = outcome(vec![account("222222222222", false)], &[]);
    found.accounts(&next, false, &memory);
    let (second, memory) = step(&found, &memory, true, T0 + DAY);
    assert_eq!(
        states(&second),
        [
            ("222222222222", State::Passed),
            ("333333333333", State::Archived)
        ]
    );
    let archived = &second.planned[1].document;
    assert_eq!(
        (&archived["Compliance"]["Status"], &archived["RecordState"]),
        (&"PASSED".into(), &"ARCHIVED".into())
    );
    assert!(memory.open.is_empty());
}

#[test]
fn an_account_not_reached_keeps_its_finding_as_it_is() {
    let mut found = Conditions::default();
    let failing = outcome(vec![account("222222222222", true)], &[]);
    found.accounts(&failing, false, &FindingsSet::default());
    let (_, memory) = step(&found, &FindingsSet::default(), true, T0);
    // The next run is cut short before it: neither passed nor archived.
    let mut found = Conditions::default();
    let cut = outcome(Vec::new(), &["222222222222"]);
    found.accounts(&cut, true, &memory);
    let (next, after) = step(&found, &memory, true, T0 + DAY);
    assert!(next.planned.is_empty());
    assert_eq!(after, memory);
}

#[test]
fn a_refused_finding_is_not_remembered_open_and_a_refused_end_is_sent_again() {
    let mut found = Conditions::default();
    found.services(&[("sso.amazonaws.com".to_string(), Drift::Missing)].into());
    let org = organization();
    let refused = plan(&found, &FindingsSet::default(), true, &context(&org, T0));
    assert_eq!(refused.remembered(|_| false), None);
    let (_, memory) = step(&found, &FindingsSet::default(), true, T0);
    let mut ended = Conditions::default();
    ended.services(&BTreeMap::new());
    let passed = plan(&ended, &memory, true, &context(&org, T0 + DAY));
    assert_eq!(
        passed.remembered(|_| false),
        None,
        "still open: sent again next time"
    );
}

#[test]
fn a_check_not_looked_at_leaves_its_findings_alone() {
    let mut found = Conditions::default();
    found.services(&[("sso.amazonaws.com".to_string(), Drift::Missing)].into());
    let (_, memory) = step(&found, &FindingsSet::default(), true, T0);
    // An event that reads only the ledger does not pass the service's finding.
    let mut ledger_only = Conditions::default();
    ledger_only.handoffs(&[]);
    let (next, _) = step(&ledger_only, &memory, false, T0 + DAY);
    assert!(next.planned.is_empty());
}

#[test]
fn titles_and_descriptions_stay_within_asff_limits_at_a_character() {
    let long = "é".repeat(2_000);
    assert_eq!(asff::clip(&long, TITLE_MAX).chars().count(), TITLE_MAX);
    assert_eq!(
        asff::clip(&long, DESCRIPTION_MAX).chars().count(),
        DESCRIPTION_MAX
    );
    assert_eq!(asff::clip("short", TITLE_MAX), "short");
    let mut found = Conditions::default();
    let principal = format!("{}.amazonaws.com", "a".repeat(600));
    found.services(&[(principal, Drift::Unexpected)].into());
    let (findings, _) = step(&found, &FindingsSet::default(), true, T0);
    let document = &findings.planned[0].document;
    assert!(document["Title"].as_str().unwrap().chars().count() <= TITLE_MAX);
    let description = document["Description"].as_str().unwrap();
    assert!(description.chars().count() <= DESCRIPTION_MAX);
}

#[test]
fn partitions_follow_the_region() {
    assert_eq!(asff::partition_of("cn-north-1"), "aws-cn");
    assert_eq!(asff::partition_of("us-gov-west-1"), "aws-us-gov");
    assert_eq!(asff::partition_of("eu-west-1"), "aws");
}
