//! The IAM policies the deployment grants, read from `template.yaml` (the function's execution role)
//! and `member-role.yaml` (the role in every member account) with a plain YAML parser, never copied by
//! hand: the tests prove what is actually deployed.
//!
//! Both templates write their intrinsics in long form (`Fn::Sub:`, `Ref:`), so a document is plain
//! YAML; [`resolve`] fills them in the way CloudFormation would for one account.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

/// A YAML file of the crate root, as JSON.
pub fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is not plain YAML: {e}"))
}

/// Requests that IAM authorizes as the actions they contain: a `TransactWriteItems` of puts needs
/// `dynamodb:PutItem` ("Using IAM with DynamoDB transactions",
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html);
/// the emulator judges it so (tests/emulator/launcher.py, correction (k)).
pub const AUTHORIZED_AS: [(&str, &str); 1] = [("dynamodb:TransactWriteItems", "dynamodb:PutItem")];

/// The action IAM authorizes `action` as.
pub fn authorized_as(action: &str) -> &str {
    AUTHORIZED_AS
        .iter()
        .find(|(request, _)| request.eq_ignore_ascii_case(action))
        .map_or(action, |(_, granted)| granted)
}

/// The parameters under which the templates grant every call the code can make: deletion enabled
/// on disable and on departure, with the member role kept in accounts that leave.
pub const DELETING: [(&str, &str); 4] = [
    ("OnDisable", "delete"),
    ("OnDeparture", "delete"),
    ("RetainMemberRoleOnDeparture", "true"),
    ("SecurityHubFindings", "true"),
];

/// The policy document of the function's execution role for the calls its code makes (the first
/// entry of `ReconcilerFunction.Properties.Policies`; the second is what Lambda itself uses on the
/// function's behalf), rendered for the parameters `given` and otherwise unresolved.
pub fn function_policies(given: &[(&str, &str)]) -> Vec<Value> {
    let stack = super::render::main_stack(given);
    let policy = &stack.properties("ReconcilerFunction")["Policies"][0];
    let statement = policy
        .get("Statement")
        .unwrap_or_else(|| panic!("a Policies entry that is not a document: {policy}"));
    vec![json!({"Version": "2012-10-17", "Statement": statement})]
}

/// The default of the template's `MemberRoleName` parameter: the role the StackSet deploys.
pub fn member_role_name() -> String {
    let template = load("template.yaml");
    template["Parameters"]["MemberRoleName"]["Default"]
        .as_str()
        .expect("MemberRoleName has a default")
        .to_owned()
}

/// The `MemberRole` resource of member-role.yaml, unresolved.
pub struct MemberRole {
    /// `AssumeRolePolicyDocument`.
    pub trust: Value,
    /// `(PolicyName, PolicyDocument)` of each inline policy.
    pub policies: Vec<(String, Value)>,
    pub max_session_duration: i32,
}

/// The member role as the StackSet deploys it under the parameters `given` of template.yaml.
pub fn member_role(given: &[(&str, &str)]) -> MemberRole {
    let main = super::render::main_stack(given);
    let member = super::render::member_stack(&main);
    let properties = member.properties("MemberRole");
    let policies = properties["Policies"]
        .as_array()
        .expect("MemberRole.Properties.Policies is a list")
        .iter()
        .map(|p| {
            let name = p["PolicyName"].as_str().expect("PolicyName").to_owned();
            (name, p["PolicyDocument"].clone())
        })
        .collect();
    MemberRole {
        trust: properties["AssumeRolePolicyDocument"].clone(),
        policies,
        max_session_duration: properties["MaxSessionDuration"]
            .as_i64()
            .expect("MaxSessionDuration") as i32,
    }
}

/// `value` with every `Ref` and `Fn::Sub` replaced from `vars` (`AWS::AccountId`, parameter and
/// resource names). Panics on any other intrinsic and on any name `vars` lacks, so that a template
/// change the tests cannot follow fails loudly instead of granting something else.
pub fn resolve(value: &Value, vars: &BTreeMap<&str, String>) -> Value {
    let lookup = |name: &str| {
        vars.get(name)
            .unwrap_or_else(|| panic!("no value for {name} in {value}"))
            .clone()
    };
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Ref") => {
            Value::String(lookup(map["Ref"].as_str().expect("Ref names a string")))
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            let Some(text) = map["Fn::Sub"].as_str() else {
                panic!("only the string form of Fn::Sub is supported: {value}")
            };
            let mut out = String::new();
            let mut rest = text;
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let end = rest[start..]
                    .find('}')
                    .unwrap_or_else(|| panic!("unclosed ${{ in {text}"));
                out.push_str(&lookup(&rest[start + 2..start + end]));
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|k| k.starts_with("Fn::")) {
                panic!("unsupported intrinsic {key} in {value}");
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, vars)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, vars)).collect()),
        other => other.clone(),
    }
}

/// The statements of a policy document.
pub fn statements(document: &Value) -> Vec<&Value> {
    match &document["Statement"] {
        Value::Array(items) => items.iter().collect(),
        Value::Null => panic!("a policy document without Statement: {document}"),
        one => vec![one],
    }
}

/// A statement's `Action` or `Resource`, a string or a list of them.
pub fn strings(statement: &Value, key: &str) -> Vec<String> {
    match &statement[key] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .unwrap_or_else(|| panic!("{key} holds a non-string: {statement}"))
                    .to_owned()
            })
            .collect(),
        other => panic!("{key} is neither a string nor a list: {other}"),
    }
}

/// Every action the documents allow, as written.
pub fn actions(documents: &[Value]) -> Vec<String> {
    documents
        .iter()
        .flat_map(statements)
        .flat_map(|s| strings(s, "Action"))
        .collect()
}

/// `document` without `action`; a statement left with no action is dropped.
pub fn without_action(document: &Value, action: &str) -> Value {
    let mut document = document.clone();
    let kept: Vec<Value> = statements(&document)
        .into_iter()
        .filter_map(|statement| {
            let left: Vec<String> = strings(statement, "Action")
                .into_iter()
                .filter(|a| a != action)
                .collect();
            if left.is_empty() {
                return None;
            }
            let mut statement = statement.clone();
            statement["Action"] = json!(left);
            Some(statement)
        })
        .collect();
    document["Statement"] = Value::Array(kept);
    document
}
