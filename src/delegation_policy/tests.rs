use super::*;
use serde_json::json;

fn read(policy: Value) -> DelegationPolicy {
    DelegationPolicy::read(&PolicyDocument {
        id: Some("rp-abcd1234".into()),
        arn: None,
        content: policy.to_string(),
    })
}

#[test]
fn accounts_actions_and_resources_are_read_from_either_spelling() {
    let policy = read(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DelegatingNecessaryDescribeListActions",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]},
            "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"],
            "Resource": "*"
        }]
    }));
    assert_eq!(policy.unreadable, None);
    let grant = &policy.statements[0];
    assert_eq!(grant.accounts, ["111122223333", "444455556666"]);
    assert!(grant.other_principals.is_empty());
    assert_eq!(
        grant.sentence(),
        "Statement DelegatingNecessaryDescribeListActions (Allow): AWS accounts 111122223333 and \
         444455556666 may call organizations:DescribeOrganization and organizations:ListAccounts \
         on every resource (*)."
    );
    assert_eq!(policy.accounts(), ["111122223333", "444455556666"]);
}

#[test]
fn wildcards_not_forms_and_conditions_are_said_as_such() {
    let policy = read(json!({
        "Statement": {
            "Effect": "Allow",
            "Principal": "*",
            "NotAction": "organizations:Describe*",
            "NotResource": ["arn:aws:organizations::123456789012:policy/*"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}
        }
    }));
    let sentence = policy.statements[0].sentence();
    for said in [
        "A statement without a Sid (Allow)",
        "any principal (*)",
        "every action except organizations:Describe* (a wildcard: every action it matches) (NotAction)",
        "every resource except arn:aws:organizations::123456789012:policy/* (a wildcard: every resource it matches) (NotResource)",
        "when its condition on aws:PrincipalOrgID holds",
    ] {
        assert!(sentence.contains(said), "{said:?} not in {sentence:?}");
    }
}

#[test]
fn a_deny_and_a_not_principal_read_the_other_way() {
    let policy = read(json!({"Statement": [{
        "Sid": "NoOneElse", "Effect": "Deny",
        "NotPrincipal": {"AWS": "111122223333"},
        "Action": "organizations:*", "Resource": "*"
    }]}));
    assert_eq!(
        policy.statements[0].sentence(),
        "Statement NoOneElse (Deny): everyone except AWS account 111122223333 (NotPrincipal) may \
         not call organizations:* (a wildcard: every action it matches) on every resource (*)."
    );
}

#[test]
fn content_that_is_not_a_policy_is_unreadable_not_a_panic() {
    for content in ["not json", "{}", "[]", "{\"Statement\": 3}"] {
        let policy = DelegationPolicy::read(&PolicyDocument {
            content: content.into(),
            ..PolicyDocument::default()
        });
        assert!(policy.statements.is_empty(), "{content}");
        assert!(policy.unreadable.is_some(), "{content}");
    }
    // A statement of an unexpected shape is read as far as it goes.
    let odd = read(json!({"Statement": [{"Principal": 7, "Action": {"x": 1}}]}));
    assert_eq!(
        odd.statements[0].sentence(),
        "A statement without a Sid (Allow): no principal it names may call no action it names on \
         no resource it names."
    );
}
