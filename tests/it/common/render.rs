//! The templates rendered the way CloudFormation would for a given set of parameter values:
//! `Conditions` evaluated (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`, `Ref`), every
//! `Fn::If` replaced by the branch it selects (`AWS::NoValue` removes the item), resources whose
//! `Condition` is false dropped, and the StackSet's parameters handed to the member template.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::policies::load as load_yaml;

pub const STACK: &str = "marketplace-trusted-access";
pub const ACCOUNT: &str = "123456789012";
pub const EXECUTION_ROLE: &str =
    "arn:aws:iam::123456789012:role/marketplace-trusted-access-ReconcilerFunctionRole-EXAMPLE";

/// Parameter values, pseudo parameters included (`AWS::Region`, …).
pub type Params = BTreeMap<String, String>;

/// Parameters of template.yaml that have no default.
pub const REQUIRED: [(&str, &str); 2] = [
    ("OrganizationId", "o-exampleorgid"),
    ("TargetOrganizationalUnitIds", "r-ab12"),
];

pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other}"),
    }
}

/// The template's parameters: `given`, else the default; pseudo parameters for us-east-1.
pub fn params_of(template: &Value, given: &[(&str, &str)]) -> Params {
    let given: BTreeMap<&str, &str> = given.iter().copied().collect();
    let mut params = Params::from([
        ("AWS::AccountId".to_owned(), ACCOUNT.to_owned()),
        ("AWS::Region".to_owned(), "us-east-1".to_owned()),
        ("AWS::Partition".to_owned(), "aws".to_owned()),
        ("AWS::StackName".to_owned(), STACK.to_owned()),
    ]);
    for (name, spec) in template["Parameters"].as_object().expect("Parameters") {
        let value = match (given.get(name.as_str()), spec.get("Default")) {
            (Some(v), _) => (*v).to_owned(),
            (None, Some(default)) => scalar_text(default),
            (None, None) => panic!("no value for parameter {name}"),
        };
        params.insert(name.clone(), value);
    }
    for name in given.keys() {
        assert!(
            params.contains_key(*name),
            "{name} is not a parameter of the template"
        );
    }
    params
}

pub fn main_params(given: &[(&str, &str)]) -> Params {
    let mut all: Vec<(&str, &str)> = REQUIRED.to_vec();
    all.extend_from_slice(given);
    params_of(&load_yaml("template.yaml"), &all)
}

/// A `Ref` or a literal, as text.
pub fn scalar(expr: &Value, params: &Params) -> String {
    match expr {
        Value::Object(map) if map.len() == 1 && map.contains_key("Ref") => {
            let name = map["Ref"].as_str().expect("Ref names a string");
            params
                .get(name)
                .unwrap_or_else(|| panic!("Ref to {name}, not a parameter"))
                .clone()
        }
        Value::Object(_) | Value::Array(_) | Value::Null => {
            panic!("unsupported in a condition: {expr}")
        }
        other => scalar_text(other),
    }
}

/// A condition expression's value.
pub fn condition(expr: &Value, params: &Params, conditions: &Value) -> bool {
    let map = expr
        .as_object()
        .filter(|m| m.len() == 1)
        .unwrap_or_else(|| panic!("not a condition: {expr}"));
    let (key, arg) = map.iter().next().expect("one key");
    let list = || {
        arg.as_array()
            .unwrap_or_else(|| panic!("{key} takes a list"))
    };
    match key.as_str() {
        "Fn::Equals" => scalar(&list()[0], params) == scalar(&list()[1], params),
        "Fn::Not" => !condition(&list()[0], params, conditions),
        "Fn::And" => list().iter().all(|c| condition(c, params, conditions)),
        "Fn::Or" => list().iter().any(|c| condition(c, params, conditions)),
        "Condition" => {
            let name = arg.as_str().expect("Condition names a string");
            condition(&conditions[name], params, conditions)
        }
        other => panic!("unsupported condition function {other}"),
    }
}

pub fn is_no_value(value: &Value) -> bool {
    *value == json!({"Ref": "AWS::NoValue"})
}

/// `value` with every `Fn::If` replaced by its selected branch; `None` for `AWS::NoValue`.
pub fn choose(value: &Value, truth: &BTreeMap<String, bool>) -> Option<Value> {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::If") => {
            let arg = map["Fn::If"].as_array().expect("Fn::If takes a list");
            let name = arg[0].as_str().expect("Fn::If names a condition");
            let selected = truth
                .get(name)
                .unwrap_or_else(|| panic!("no condition {name}"));
            choose(if *selected { &arg[1] } else { &arg[2] }, truth)
        }
        _ if is_no_value(value) => None,
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(k, v)| choose(v, truth).map(|v| (k.clone(), v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|v| choose(v, truth)).collect(),
        )),
        other => Some(other.clone()),
    }
}

/// A template as deployed with some parameter values.
pub struct Rendered {
    pub params: Params,
    pub resources: BTreeMap<String, Value>,
}

impl Rendered {
    pub fn resource(&self, name: &str) -> &Value {
        self.resources
            .get(name)
            .unwrap_or_else(|| panic!("no resource {name}"))
    }

    pub fn properties(&self, name: &str) -> &Value {
        &self.resource(name)["Properties"]
    }

    /// Logical ids of the resources of a type.
    pub fn of_type(&self, kind: &str) -> Vec<String> {
        self.resources
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .map(|(name, _)| name.clone())
            .collect()
    }
}

pub fn render(template: &Value, params: Params) -> Rendered {
    let conditions = &template["Conditions"];
    let truth: BTreeMap<String, bool> = conditions
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, expr)| (name.clone(), condition(expr, &params, conditions)))
                .collect()
        })
        .unwrap_or_default();
    let resources = template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| {
            r.get("Condition")
                .and_then(Value::as_str)
                .is_none_or(|c| truth[c])
        })
        .map(|(name, r)| (name.clone(), choose(r, &truth).expect("a resource")))
        .collect();
    Rendered { params, resources }
}

/// template.yaml with these parameter values (beside the required ones).
pub fn main_stack(given: &[(&str, &str)]) -> Rendered {
    render(&load_yaml("template.yaml"), main_params(given))
}

/// member-role.yaml as the StackSet of `main` deploys it: with the parameters the StackSet passes.
pub fn member_stack(main: &Rendered) -> Rendered {
    let passed = main.properties("MemberRoleStackSet")["Parameters"]
        .as_array()
        .expect("StackSet Parameters");
    let values: Vec<(String, String)> = passed
        .iter()
        .map(|p| {
            let key = p["ParameterKey"].as_str().expect("ParameterKey").to_owned();
            let value = &p["ParameterValue"];
            let value = if value.get("Fn::GetAtt").is_some() {
                assert_eq!(
                    value["Fn::GetAtt"],
                    json!(["ReconcilerFunctionRole", "Arn"])
                );
                EXECUTION_ROLE.to_owned()
            } else {
                scalar(value, &main.params)
            };
            (key, value)
        })
        .collect();
    let member = load_yaml("member-role.yaml");
    let given: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Every parameter of member-role.yaml comes from the StackSet; none falls back to a default.
    let declared: BTreeSet<&str> = member["Parameters"]
        .as_object()
        .expect("Parameters")
        .keys()
        .map(String::as_str)
        .collect();
    let passed: BTreeSet<&str> = given.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        declared, passed,
        "member-role.yaml parameters vs the StackSet's"
    );
    render(&member, params_of(&member, &given))
}

/// `value` with `Ref` and `Fn::Sub` (string form) of parameters resolved from `params`; any other
/// intrinsic, and a reference to a resource, is left as it is.
pub fn resolve(value: &Value, params: &Params) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Ref") => {
            let name = map["Ref"].as_str().expect("Ref names a string");
            params
                .get(name)
                .map_or_else(|| value.clone(), |v| Value::String(v.clone()))
        }
        Value::Object(map)
            if map.len() == 1 && map.get("Fn::Sub").is_some_and(Value::is_string) =>
        {
            let text = map["Fn::Sub"].as_str().expect("string");
            let mut out = String::new();
            let mut rest = text;
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let end = rest[start..].find('}').expect("closed ${");
                let name = &rest[start + 2..start + end];
                let Some(v) = params.get(name) else {
                    return value.clone(); // names a resource
                };
                out.push_str(v);
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, params)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, params)).collect()),
        other => other.clone(),
    }
}
