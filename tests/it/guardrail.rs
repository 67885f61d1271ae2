//! The guardrail (`mta guardrail`, template.yaml's `GuardrailPolicy`): the policy printed is
//! evaluated by principalmapper's local policy simulation (tests/iam/evaluate.py), an IAM
//! evaluator that honours conditions, as the emulator's IAM does not; and the template renders the
//! same document for the same parameters.

use crate::cli::{Run, finish, mta_command, no_aws, nobody_called};
use crate::common::render::main_stack;
use serde_json::{Value, json};
use std::path::PathBuf;

const BREAK_GLASS: &str = "arn:aws:iam::123456789012:role/BreakGlass";
const ADMIN: &str = "arn:aws:iam::123456789012:role/Administrator";
const PROTECTED: [&str; 2] = ["cloudtrail.amazonaws.com", "sso.amazonaws.com"];
const FOUR: [&str; 4] = [
    "organizations:DeregisterDelegatedAdministrator",
    "organizations:DisableAWSServiceAccess",
    "organizations:EnableAWSServiceAccess",
    "organizations:RegisterDelegatedAdministrator",
];

/// `mta guardrail` with these arguments and variables, offline: it must call nothing.
async fn guardrail(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let (endpoint, listener) = no_aws().await;
    let mut command = mta_command(&endpoint, true);
    command.arg("guardrail").args(args);
    for (name, value) in vars {
        command.env(name, value);
    }
    let run = finish(command).await;
    assert!(nobody_called(&listener).await, "guardrail called AWS");
    run
}

/// Each case with the evaluator's decision: whether an administrator (Allow * on *) who also holds
/// `policy` may make the call.
fn evaluate(policy: &Value, cases: &[Value]) -> Vec<bool> {
    // A directory per evaluation: the tests run at once.
    static EVALUATIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = EVALUATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = crate::cli::scratch(&format!("guardrail-{n}"));
    let (policy_file, cases_file) = (dir.join("policy.json"), dir.join("cases.json"));
    std::fs::write(&policy_file, policy.to_string()).unwrap();
    std::fs::write(&cases_file, Value::from(cases.to_vec()).to_string()).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    let out = std::process::Command::new(&python)
        .arg(root.join("tests/iam/evaluate.py"))
        .args([&policy_file, &cases_file])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (make test installs it)",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "the evaluator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decided: Vec<Value> = serde_json::from_slice(&out.stdout).expect("the evaluator's JSON");
    assert_eq!(decided.len(), cases.len());
    decided
        .iter()
        .map(|d| d["allowed"].as_bool().expect("allowed"))
        .collect()
}

#[tokio::test]
async fn the_policy_denies_the_four_calls_for_the_protected_services_to_all_but_break_glass() {
    let run = guardrail(
        &["--protect", "sso,cloudtrail", "--break-glass", BREAK_GLASS],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("AWS IAM Identity Center"), "{run:?}");
    let policy = run.json();

    let actions: Vec<&str> = FOUR
        .iter()
        .copied()
        .chain([
            "organizations:ListAccounts",
            "organizations:CreateAccount",
            "iam:CreateRole",
        ])
        .collect();
    let principals = [
        "sso.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "guardduty.amazonaws.com",
    ];
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for caller in [ADMIN, BREAK_GLASS] {
        for action in &actions {
            for principal in principals {
                cases.push(json!({"caller": caller, "action": action, "principal": principal}));
                let denied =
                    caller == ADMIN && FOUR.contains(action) && PROTECTED.contains(&principal);
                expected.push(!denied);
            }
        }
    }
    let decided = evaluate(&policy, &cases);
    for ((case, want), got) in cases.iter().zip(&expected).zip(&decided) {
        assert_eq!(got, want, "allowed? {case}");
    }
    // The evaluator is not a yes-man: it denies where the policy says so (8 of 42 cases).
    assert_eq!(decided.iter().filter(|a| !**a).count(), 8);
}

#[tokio::test]
async fn without_break_glass_nobody_is_excepted() {
    let run = guardrail(&["--protect", "sso"], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let policy = run.json();
    let cases: Vec<Value> = [ADMIN, BREAK_GLASS]
        .iter()
        .map(
            |caller| json!({"caller": caller, "action": FOUR[1], "principal": "sso.amazonaws.com"}),
        )
        .collect();
    assert_eq!(evaluate(&policy, &cases), [false, false]);
}

#[tokio::test]
async fn the_templates_policy_is_the_document_mta_prints() {
    for break_glass in [Some(BREAK_GLASS), None] {
        let mut args = vec!["--protect", "sso,cloudtrail"];
        let mut params = vec![(
            "ProtectedServices",
            "cloudtrail.amazonaws.com,sso.amazonaws.com",
        )];
        if let Some(arn) = break_glass {
            args.extend(["--break-glass", arn]);
            params.push(("BreakGlassPrincipalArns", arn));
        }
        let printed = guardrail(&args, &[]).await.json();
        let stack = main_stack(&params);
        let document = split(&crate::common::render::resolve(
            &stack.properties("GuardrailPolicy")["PolicyDocument"],
            &stack.params,
        ));
        assert_eq!(document, printed, "break-glass {break_glass:?}");
    }
    // No protected service: no policy.
    let stack = main_stack(&[]);
    assert!(
        stack
            .of_type("AWS::IAM::ManagedPolicy")
            .iter()
            .all(|n| n != "GuardrailPolicy")
    );
}

/// `Fn::Split` of a resolved string, as CloudFormation does it.
fn split(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Split") => {
            let arg = map["Fn::Split"].as_array().expect("Fn::Split takes a list");
            let (sep, text) = (arg[0].as_str().unwrap(), arg[1].as_str().expect("resolved"));
            json!(text.split(sep).collect::<Vec<_>>())
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), split(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(split).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_expected_services_are_protected_when_no_list_is_given() {
    let run = guardrail(
        &[],
        &[(
            "EXPECTED_SERVICES",
            "sso.amazonaws.com,guardduty.amazonaws.com",
        )],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.json()["Statement"][0]["Condition"]["StringEquals"]["organizations:ServicePrincipal"],
        json!(["guardduty.amazonaws.com", "sso.amazonaws.com"])
    );
}

#[tokio::test]
async fn bad_input_is_a_usage_error_and_prints_no_policy() {
    for (args, says) in [
        (vec!["--protect", "ssoo"], "neither a service principal"),
        (
            vec!["--protect", "sso", "--break-glass", "BreakGlass"],
            "not an IAM role or user ARN",
        ),
        (vec![], "no service to protect"),
    ] {
        let run = guardrail(&args, &[]).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stdout.is_empty() && run.stderr.contains(says),
            "{args:?}: {run:?}"
        );
    }
}
