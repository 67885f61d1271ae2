//! The templates grant exactly the AWS operations the code calls: nothing missing, nothing extra.
//!
//! The operations are found in the adapters, `src/aws/*.rs`, the only code that calls AWS: each SDK
//! fluent call on a client field (`self.iam.get_role()…send()`), with the field's service taken from
//! its type (`aws_sdk_iam::Client`). The snake_case operation is compared with the IAM action name
//! case-insensitively (`list_aws_service_access_for_organization` ↔
//! `ListAWSServiceAccessForOrganization`). A request signed by hand (Security Hub's, sent without its
//! SDK crate) declares its operation in a `const OPERATION` line, read too.
//! tests/least_privilege.rs proves the same against the
//! emulator with IAM enforcement on, from the requests the function really sends.

use crate::layout::rust_files;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::policies::{self, statements, strings};
use crate::common::{MARKETPLACE_PRINCIPAL, MARKETPLACE_ROLE as ROLE_NAME};
use serde_json::{Value, json};

/// The services the code may use: an SDK crate `aws_sdk_<name>` whose IAM prefix is `<name>`.
const SERVICES: [&str; 6] = ["organizations", "iam", "sts", "sns", "dynamodb", "sqs"];

/// Answered for any caller, even under an explicit deny: no policy grants or needs it.
const NEEDS_NO_PERMISSION: &str = "sts:GetCallerIdentity";

/// Actions with no resource type in the Service Authorization Reference: only `"*"` can grant them.
const NO_RESOURCE_TYPE: [&str; 5] = [
    "organizations:DescribeOrganization",
    "organizations:DescribeResourcePolicy",
    "organizations:ListAWSServiceAccessForOrganization",
    "organizations:ListAccounts",
    "organizations:ListDelegatedAdministrators",
];

/// One operation the code calls.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Call {
    /// The IAM prefix: `iam`, `sts`, …
    service: String,
    /// As the SDK spells it: `get_role`.
    operation: String,
    /// Where: `role.rs`.
    file: String,
}

impl Call {
    fn key(&self) -> String {
        key(&format!("{}:{}", self.service, self.operation))
    }
}

/// Compares `iam:get_role` with `iam:GetRole`: IAM action names ignore case.
fn key(action: &str) -> String {
    action.replace('_', "").to_ascii_lowercase()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A source file without its `#[cfg(test)]` module, which mocks calls rather than making them, and
/// with method chains joined (`self\n    .sts\n    .assume_role()` becomes `self.sts.assume_role()`).
fn production_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text,
    };
    let mut joined = String::with_capacity(text.len());
    let mut pending_space = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space.push(c);
            continue;
        }
        if c != '.' {
            joined.push_str(&pending_space);
        }
        pending_space.clear();
        joined.push(c);
    }
    joined
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The client fields of a file and their services: `sts: aws_sdk_sts::Client`, or `client: Client`
/// after `use aws_sdk_organizations::Client;`.
fn client_fields(code: &str) -> BTreeMap<String, String> {
    let imported = code.lines().find_map(|line| {
        line.trim()
            .strip_prefix("use aws_sdk_")?
            .strip_suffix("::Client;")
            .map(str::to_owned)
    });
    code.lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches("pub ");
            let (field, ty) = line.strip_suffix(',')?.split_once(": ")?;
            if !field.chars().all(is_ident) {
                return None;
            }
            let service = match ty.strip_prefix("aws_sdk_") {
                Some(qualified) => qualified.strip_suffix("::Client")?.to_owned(),
                None if ty == "Client" => imported.clone()?,
                None => return None,
            };
            Some((field.to_owned(), service))
        })
        .collect()
}

/// Every `self.<client field>.<operation>()` whose statement goes on to `.send()`.
fn sdk_calls() -> Vec<Call> {
    let mut calls = Vec::new();
    for path in rust_files(&src().join("aws")) {
        let code = production_code(&path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let fields = client_fields(&code);
        for (field, service) in &fields {
            assert!(
                SERVICES.contains(&service.as_str()),
                "{file}: client of aws_sdk_{service}, a service this test does not know; add it"
            );
            let receiver = format!("self.{field}");
            for (at, _) in code.match_indices(&receiver) {
                let rest = &code[at + receiver.len()..];
                if rest.starts_with(is_ident) {
                    continue; // another field whose name starts the same
                }
                let Some(rest) = rest.strip_prefix('.') else {
                    continue;
                };
                let operation: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                let after = &rest[operation.len()..];
                let statement = &after[..after.find(';').unwrap_or(after.len())];
                if after.starts_with("()") && statement.contains(".send()") {
                    calls.push(Call {
                        service: service.clone(),
                        operation,
                        file: file.clone(),
                    });
                }
            }
        }
        // Every request sent is one of the calls found: the scan misses nothing.
        let sends = code.matches(".send()").count();
        let found = calls.iter().filter(|c| c.file == file).count();
        assert_eq!(
            sends, found,
            "{file}: {sends} .send() but {found} calls found: {calls:?}"
        );
    }
    calls.sort();
    calls
}

/// Every request the adapters sign themselves: `const OPERATION: (&str, &str) = ("prefix",
/// "Action");`, in a file that signs with `aws_sigv4`.
fn signed_calls() -> Vec<Call> {
    let mut calls = Vec::new();
    for path in rust_files(&src().join("aws")) {
        let code = production_code(&path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let declared = code.lines().find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("const OPERATION: (&str, &str) = (")?;
            let (service, action) = value.strip_suffix(");")?.split_once(", ")?;
            Some((
                service.trim_matches('"').to_owned(),
                action.trim_matches('"').to_owned(),
            ))
        });
        let signs = code.contains("aws_sigv4::");
        assert_eq!(
            signs,
            declared.is_some(),
            "{file}: a signed request declares its OPERATION"
        );
        if let Some((service, operation)) = declared {
            calls.push(Call {
                service,
                operation,
                file,
            });
        }
    }
    calls
}

/// The operations the code calls, as lookup keys, without the one that needs no permission.
fn needed() -> BTreeMap<String, Call> {
    sdk_calls()
        .into_iter()
        .chain(signed_calls())
        .map(|mut c| {
            // As IAM authorizes it: a transaction as its puts.
            let operation = c.operation.replace('_', "");
            let action = policies::authorized_as(&format!("{}:{operation}", c.service)).to_owned();
            if let Some((_, authorized)) = action.split_once(':') {
                c.operation = authorized.to_owned();
            }
            c
        })
        .map(|c| (c.key(), c))
        .filter(|(k, _)| *k != key(NEEDS_NO_PERMISSION))
        .collect()
}

/// The actions of policy documents, by lookup key.
fn granted(documents: &[Value]) -> BTreeMap<String, String> {
    policies::actions(documents)
        .into_iter()
        .map(|a| (key(&a), a))
        .collect()
}

fn missing_and_extra(
    needed: &BTreeMap<String, Call>,
    granted: &BTreeMap<String, String>,
) -> (Vec<String>, Vec<String>) {
    let missing = needed
        .iter()
        .filter(|(k, _)| !granted.contains_key(*k))
        .map(|(_, c)| format!("{}:{} ({})", c.service, c.operation, c.file))
        .collect();
    let extra = granted
        .iter()
        .filter(|(k, _)| !needed.contains_key(*k))
        .map(|(_, a)| a.clone())
        .collect();
    (missing, extra)
}

/// The template's values for one account.
fn vars(account: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("AWS::Partition", "aws".to_owned()),
        ("AWS::Region", "us-east-1".to_owned()),
        ("AWS::AccountId", account.to_owned()),
        ("MemberRoleName", policies::member_role_name()),
        (
            "NotificationTopic",
            format!("arn:aws:sns:us-east-1:{account}:topic"),
        ),
        (
            "ReconcilerRoleArn",
            format!("arn:aws:iam::{account}:role/execution"),
        ),
        (
            "StateTable.Arn",
            format!("arn:aws:dynamodb:us-east-1:{account}:table/state"),
        ),
        (
            "ContinuationQueue.Arn",
            format!("arn:aws:sqs:us-east-1:{account}:continuation"),
        ),
        ("OrganizationId", "o-exampleorgid".to_owned()),
    ])
}

const MANAGEMENT: &str = "123456789012";
const MEMBER: &str = "210987654321";

fn function_policies() -> Vec<Value> {
    policies::function_policies(&policies::DELETING)
        .iter()
        .map(|p| policies::resolve(p, &vars(MANAGEMENT)))
        .collect()
}

fn member_policies() -> Vec<Value> {
    policies::member_role(&policies::DELETING)
        .policies
        .iter()
        .map(|(_, d)| policies::resolve(d, &vars(MEMBER)))
        .collect()
}

fn marketplace_role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/aws-service-role/{MARKETPLACE_PRINCIPAL}/{ROLE_NAME}")
}

#[test]
fn the_scan_finds_the_calls_of_every_adapter() {
    let calls = sdk_calls();
    let services: BTreeSet<&str> = calls.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(services, BTreeSet::from(SERVICES), "{calls:?}");
    for operation in [
        "list_aws_service_access_for_organization",
        "list_delegated_administrators",
        "list_delegated_services_for_account",
    ] {
        assert!(
            calls
                .iter()
                .any(|c| c.service == "organizations" && c.operation == operation),
            "{operation}: {calls:?}"
        );
    }
}

#[test]
fn only_the_adapters_call_aws() {
    let files = rust_files(&src());
    // Every sub-folder is read: the operator's command line lives under src/bin/mta/cli/.
    assert!(
        files
            .iter()
            .any(|p| p.starts_with(src().join("bin/mta/cli"))),
        "{files:?}"
    );
    let outside: Vec<String> = files
        .into_iter()
        .filter(|p| !p.starts_with(src().join("aws")))
        .filter(|p| production_code(p).contains(".send()"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(outside.is_empty(), "AWS calls outside src/aws: {outside:?}");
}

#[test]
fn the_function_policy_grants_exactly_the_actions_the_code_calls() {
    let (missing, extra) = missing_and_extra(&needed(), &granted(&function_policies()));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "called but not granted: {missing:?}\ngranted but never called: {extra:?}"
    );
}

#[test]
fn the_member_role_grants_exactly_the_iam_actions_the_code_calls() {
    // In a member account the code only observes, creates and deletes the role, with the IAM client
    // of the assumed member role: every IAM operation, and nothing else.
    let iam: BTreeMap<String, Call> = needed()
        .into_iter()
        .filter(|(_, c)| c.service == "iam")
        .collect();
    let (missing, extra) = missing_and_extra(&iam, &granted(&member_policies()));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "called but not granted: {missing:?}\ngranted but never called: {extra:?}"
    );
    let mut granted: Vec<String> = granted(&member_policies()).into_values().collect();
    granted.sort();
    assert_eq!(
        granted,
        [
            "iam:CreateServiceLinkedRole",
            "iam:DeleteServiceLinkedRole",
            "iam:GetRole",
            "iam:GetServiceLinkedRoleDeletionStatus",
        ],
        "docs/design.md names these four (the member role may do only these)"
    );
}

#[test]
fn every_iam_grant_is_on_the_one_role_and_creation_only_for_marketplace() {
    for (holder, account, documents) in [
        ("function", MANAGEMENT, function_policies()),
        ("member role", MEMBER, member_policies()),
    ] {
        let role = marketplace_role_arn(account);
        let mut creation_statements = 0;
        for statement in documents.iter().flat_map(statements) {
            let actions = strings(statement, "Action");
            assert_eq!(statement["Effect"], "Allow", "{holder}: {statement}");
            assert!(
                actions.iter().all(|a| !a.contains('*')),
                "{holder}: wildcard action in {statement}"
            );
            if actions.iter().any(|a| a.starts_with("iam:")) {
                assert!(
                    actions.iter().all(|a| a.starts_with("iam:")),
                    "{holder}: IAM and other actions share {statement}"
                );
                // GetRole may also name the same role without its path (unknown to IAM
                // while the role does not exist); every other IAM action, only the full ARN.
                let pathless = format!("arn:aws:iam::{account}:role/{ROLE_NAME}");
                let allowed: &[&str] = if actions == ["iam:GetRole"] {
                    &[role.as_str(), pathless.as_str()]
                } else {
                    &[role.as_str()]
                };
                assert_eq!(
                    strings(statement, "Resource"),
                    allowed,
                    "{holder}: {statement}"
                );
            }
            if actions.iter().any(|a| a == "iam:CreateServiceLinkedRole") {
                creation_statements += 1;
                // Alone in its statement: iam:AWSServiceName exists only in this action's request
                // context, so on any other action the condition would never match.
                assert_eq!(
                    actions,
                    ["iam:CreateServiceLinkedRole"],
                    "{holder}: {statement}"
                );
                assert_eq!(
                    statement["Condition"],
                    json!({"StringEquals": {"iam:AWSServiceName": MARKETPLACE_PRINCIPAL}}),
                    "{holder}: {statement}"
                );
            } else if actions.iter().any(|a| a == "sts:AssumeRole") {
                // Entering an account: only with the session name that ties the member account's
                // CloudTrail records to the invocation (and, where the template adds it, only in
                // the organization's accounts: tested in template_params).
                assert_eq!(
                    statement["Condition"]["StringLike"],
                    json!({"sts:RoleSessionName": "mta-*"}),
                    "{holder}: {statement}"
                );
            } else {
                assert!(
                    statement.get("Condition").is_none(),
                    "{holder}: unexpected condition in {statement}"
                );
            }
            if strings(statement, "Resource").iter().any(|r| r == "*") {
                assert!(
                    actions
                        .iter()
                        .all(|a| NO_RESOURCE_TYPE.contains(&a.as_str())),
                    "{holder}: Resource \"*\" for actions that can be scoped: {statement}"
                );
            }
        }
        assert_eq!(creation_statements, 1, "{holder}");
    }
}

#[test]
fn the_other_grants_name_the_member_role_the_topic_and_the_organization() {
    let documents = function_policies();
    let resources_of = |action: &str| -> Vec<String> {
        documents
            .iter()
            .flat_map(statements)
            .filter(|s| strings(s, "Action").iter().any(|a| a == action))
            .flat_map(|s| strings(s, "Resource"))
            .collect()
    };
    let vars = vars(MANAGEMENT);
    assert_eq!(
        resources_of("sts:AssumeRole"),
        [format!("arn:aws:iam::*:role/{}", vars["MemberRoleName"])]
    );
    assert_eq!(
        resources_of("sns:Publish"),
        [vars["NotificationTopic"].clone()]
    );
    assert_eq!(
        resources_of("organizations:DescribeAccount"),
        [format!("arn:aws:organizations::{MANAGEMENT}:account/o-*/*")]
    );
    // A delegated administrator is a member: its services are read in this organization only.
    assert_eq!(
        resources_of("organizations:ListDelegatedServicesForAccount"),
        [format!(
            "arn:aws:organizations::{MANAGEMENT}:account/{}/*",
            vars["OrganizationId"]
        )]
    );
}

/// What the template's schedule sends is read as the full sweep, not ignored.
#[test]
fn the_schedule_input_is_a_sweep() {
    use marketplace_trusted_access::intake::{Kind, Trigger, parse};
    let template = policies::load("template.yaml");
    let input =
        template["Resources"]["ReconcilerFunction"]["Properties"]["Events"]["Sweep"]["Properties"]
            ["Input"]
            .as_str()
            .expect("the Sweep schedule has an Input");
    let intake = parse(&serde_json::from_str(input).expect("the Input is JSON"));
    assert_eq!(intake.kind, Kind::Handle(Trigger::Sweep));
    assert_eq!(intake.name, "schedule");
}

/// The rule forwards every CloudTrail sample the function handles and none it would ignore for a
/// failed call; commands and the schedule reach it by other paths.
#[test]
fn the_event_rule_forwards_the_handled_samples_and_not_failed_calls() {
    let template = policies::load("template.yaml");
    let pattern = &template["Resources"]["OrganizationsEventRule"]["Properties"]["EventPattern"];
    let forwarded =
        |file: &str| crate::common::pattern::pattern_matches(pattern, &crate::common::sample(file));
    for file in [
        "enable-by-cli-iamuser.json",
        "enable-by-console-assumedrole.json",
        "enable-by-marketplace.json",
        "disable-by-cli.json",
        "disable-by-marketplace.json",
        "remove-account.json",
        "account-departed-service-event.json",
        "account-departed-api-call.json",
        "account-joined.json",
        "create-account-result.json",
        "accept-handshake.json",
    ] {
        assert!(forwarded(file), "{file} is not forwarded by the rule");
    }
    // Every other service's trusted access and delegated-administrator changes too (the guardian's
    // samples, events/guardian-*.json).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut guardian: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with("guardian-") && name.ends_with(".json"))
        .collect();
    guardian.sort();
    assert!(!guardian.is_empty(), "no events/guardian-*.json");
    for file in &guardian {
        assert!(forwarded(file), "{file} is not forwarded by the rule");
    }
    for file in [
        "ignored-failed-call.json",
        "ignored-unhandled-event.json",
        "scheduled.json",
    ] {
        assert!(!forwarded(file), "{file} is forwarded by the rule");
    }
}

/// The people who answer hand-offs read and update the hand-off ledger, and nothing else: its
/// items all have the partition key `handoff#items`, so `dynamodb:LeadingKeys` keeps the outbox
/// and the failure set out of their reach. The policy is the stack's to offer, not to attach.
#[test]
fn the_responders_policy_answers_hand_offs_in_the_ledger_only_and_is_attached_to_no_one() {
    use crate::common::render::main_stack;
    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    for (given, with_key) in [(&[][..], false), (&[("KmsKeyArn", KEY)][..], true)] {
        // GIVEN the stack, with or without a customer managed key
        let stack = main_stack(given);
        let policy = stack.properties("HandoffRespondersPolicy");
        let all = statements(&policy["PolicyDocument"]);
        let (dynamodb, rest): (Vec<&Value>, Vec<&Value>) = all.into_iter().partition(|s| {
            strings(s, "Action")
                .iter()
                .any(|a| a.starts_with("dynamodb:"))
        });

        // THEN one statement grants exactly Query, GetItem and UpdateItem on the state table,
        // for items under a `handoff#` partition key only
        assert_eq!(dynamodb.len(), 1, "{dynamodb:?}");
        let grant = dynamodb[0];
        assert_eq!(grant["Effect"], "Allow");
        let granted: BTreeSet<String> = strings(grant, "Action").into_iter().collect();
        assert_eq!(
            granted,
            ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
                .map(String::from)
                .into()
        );
        assert_eq!(grant["Resource"], json!({"Fn::Sub": "${StateTable.Arn}"}));
        assert_eq!(
            grant["Condition"],
            json!({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["handoff#*"]}})
        );

        // AND the key, when there is one, only through DynamoDB; nothing else (no sns:Publish)
        if with_key {
            assert_eq!(rest.len(), 1, "{rest:?}");
            let kms = rest[0];
            assert!(
                strings(kms, "Action")
                    .iter()
                    .all(|a| ["kms:Decrypt", "kms:DescribeKey"].contains(&a.as_str())),
                "{kms}"
            );
            assert_eq!(kms["Resource"], json!({"Ref": "KmsKeyArn"}));
            assert_eq!(
                kms["Condition"]["StringEquals"]["kms:ViaService"],
                json!({"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"})
            );
        } else {
            assert!(rest.is_empty(), "{rest:?}");
        }

        // AND it is attached to no role, user or group, here or by any other resource
        for attachment in ["Roles", "Users", "Groups"] {
            assert!(policy.get(attachment).is_none(), "{attachment}");
        }
        for (name, resource) in &stack.resources {
            if name != "HandoffRespondersPolicy" {
                assert!(
                    !resource.to_string().contains("HandoffRespondersPolicy"),
                    "{name} refers to the responders' policy"
                );
            }
        }
    }
}

#[test]
fn findings_are_granted_only_when_on_and_only_on_the_accounts_default_product() {
    let import = |parameters: &[(&str, &str)]| -> Vec<Vec<String>> {
        let documents: Vec<Value> = policies::function_policies(parameters)
            .iter()
            .map(|p| policies::resolve(p, &vars(MANAGEMENT)))
            .collect();
        documents
            .iter()
            .flat_map(statements)
            .filter(|s| {
                strings(s, "Action")
                    .iter()
                    .any(|a| a.starts_with("securityhub:"))
            })
            .map(|s| strings(s, "Resource"))
            .collect()
    };
    let product =
        format!("arn:aws:securityhub:us-east-1:{MANAGEMENT}:product/{MANAGEMENT}/default");
    assert_eq!(import(&[("SecurityHubFindings", "true")]), [[product]]);
    assert!(import(&[("SecurityHubFindings", "false")]).is_empty());
    assert!(import(&[]).is_empty(), "off by default");
}
