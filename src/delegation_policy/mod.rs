//! The organization's resource-based delegation policy (docs/design.md, "The delegation policy"):
//! what `DescribeResourcePolicy` answers, read statement by statement into who may do what. A
//! change is told from this reading, never from the event's copy of the content: the event only says
//! where to look.
//!
//! The policy is read as written, not evaluated: a wildcard (`organizations:List*`, `*`), a
//! `NotAction`, `NotResource` or `NotPrincipal`, and a `Condition` are each said as such, so that a
//! person sees how wide a statement is.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The policy in force, as `DescribeResourcePolicy` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocument {
    /// `rp-…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The policy text.
    pub content: String,
}

/// A policy, read statement by statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegationPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub statements: Vec<Grant>,
    /// Why the content could not be read statement by statement (not JSON, no `Statement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// One statement: who, allowed or denied, which actions, on which resources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow` or `Deny`, as written.
    pub effect: String,
    /// The AWS accounts the principal names (a bare id or `arn:…:iam::<id>:root`).
    pub accounts: Vec<String>,
    /// Other principals, as written (`*`, a role ARN, a service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_principals: Vec<String>,
    /// The principals are a `NotPrincipal`: everyone but them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_principal: bool,
    pub actions: Vec<String>,
    /// The actions are a `NotAction`: every action but them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_action: bool,
    pub resources: Vec<String>,
    /// The resources are a `NotResource`: every resource but them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_resource: bool,
    /// The condition keys the statement tests, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_keys: Vec<String>,
}

/// A JSON string or list of strings, as IAM allows either.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `135791357913` or `arn:<partition>:iam::135791357913:root`: the account, else `None`.
fn account_of(principal: &str) -> Option<String> {
    let id = match principal.strip_prefix("arn:") {
        Some(rest) => {
            let fields: Vec<&str> = rest.split(':').collect();
            match fields[..] {
                [_, "iam", "", id, "root"] => id,
                _ => return None,
            }
        }
        None => principal,
    };
    // Twelve digits, as intake::is_account_id says; not imported, so that this module (which the
    // ports name) stays a leaf.
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// One of `Action`/`NotAction` (and the like): the values and whether it is the `Not` form.
fn either(statement: &Value, name: &str) -> (Vec<String>, bool) {
    match statement.get(format!("Not{name}")) {
        Some(not) => (strings(Some(not)), true),
        None => (strings(statement.get(name)), false),
    }
}

fn grant(statement: &Value) -> Grant {
    let (principal, not_principal) = match statement.get("NotPrincipal") {
        Some(p) => (p, true),
        None => (statement.get("Principal").unwrap_or(&Value::Null), false),
    };
    let mut written: Vec<String> = match principal {
        Value::String(s) => vec![s.clone()],
        Value::Object(map) => map
            .iter()
            .flat_map(|(kind, v)| match kind.as_str() {
                "AWS" => strings(Some(v)),
                _ => strings(Some(v))
                    .into_iter()
                    .map(|p| format!("{kind}:{p}"))
                    .collect(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let accounts: Vec<String> = written.iter().filter_map(|p| account_of(p)).collect();
    written.retain(|p| account_of(p).is_none());
    let (actions, not_action) = either(statement, "Action");
    let (resources, not_resource) = either(statement, "Resource");
    let condition_keys = statement
        .get("Condition")
        .and_then(Value::as_object)
        .map(|operators| {
            operators
                .values()
                .filter_map(Value::as_object)
                .flat_map(|keys| keys.keys().cloned())
                .collect()
        })
        .unwrap_or_default();
    Grant {
        sid: statement
            .get("Sid")
            .and_then(Value::as_str)
            .map(str::to_string),
        effect: statement
            .get("Effect")
            .and_then(Value::as_str)
            .unwrap_or("Allow")
            .to_string(),
        accounts,
        other_principals: written,
        not_principal,
        actions,
        not_action,
        resources,
        not_resource,
        condition_keys,
    }
}

impl DelegationPolicy {
    /// Reads a policy as `DescribeResourcePolicy` gave it.
    pub fn read(document: &PolicyDocument) -> DelegationPolicy {
        let parsed: Result<Value, String> =
            serde_json::from_str(&document.content).map_err(|e| format!("not JSON: {e}"));
        let statements = parsed.and_then(|policy| match policy.get("Statement") {
            Some(Value::Array(items)) => Ok(items.iter().map(grant).collect()),
            Some(one @ Value::Object(_)) => Ok(vec![grant(one)]),
            _ => Err("no Statement".to_string()),
        });
        let (statements, unreadable) = match statements {
            Ok(s) => (s, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        DelegationPolicy {
            id: document.id.clone(),
            arn: document.arn.clone(),
            statements,
            unreadable,
        }
    }

    /// Every account any statement names.
    pub fn accounts(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .statements
            .iter()
            .flat_map(|g| g.accounts.iter().map(String::as_str))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Says of each item that holds a wildcard that it is one.
fn with_wildcards(items: &[String], what: &str) -> String {
    let said: Vec<String> = items
        .iter()
        .map(|item| match item.as_str() {
            "*" => format!("every {what} (*)"),
            i if i.contains('*') || i.contains('?') => {
                format!("{i} (a wildcard: every {what} it matches)")
            }
            i => i.to_string(),
        })
        .collect();
    listed(&said)
}

impl Grant {
    /// The statement in one sentence: `Statement DelegatePolicies (Allow): AWS account
    /// 111122223333 may call organizations:DescribeOrganization on every resource (*).`
    pub fn sentence(&self) -> String {
        let name = match &self.sid {
            Some(sid) => format!("Statement {sid}"),
            None => "A statement without a Sid".to_string(),
        };
        let mut who: Vec<String> = Vec::new();
        if !self.accounts.is_empty() {
            let noun = if self.accounts.len() == 1 {
                "AWS account"
            } else {
                "AWS accounts"
            };
            who.push(format!("{noun} {}", listed(&self.accounts)));
        }
        who.extend(self.other_principals.iter().map(|p| match p.as_str() {
            "*" => "any principal (*)".to_string(),
            p => p.to_string(),
        }));
        let who = match (who.is_empty(), self.not_principal) {
            (true, _) => "no principal it names".to_string(),
            (false, true) => format!("everyone except {} (NotPrincipal)", listed(&who)),
            (false, false) => listed(&who),
        };
        let actions = match (self.actions.is_empty(), self.not_action) {
            (true, _) => "no action it names".to_string(),
            (false, true) => format!(
                "every action except {} (NotAction)",
                with_wildcards(&self.actions, "action")
            ),
            (false, false) => with_wildcards(&self.actions, "action"),
        };
        let resources = match (self.resources.is_empty(), self.not_resource) {
            (true, _) => "no resource it names".to_string(),
            (false, true) => format!(
                "every resource except {} (NotResource)",
                with_wildcards(&self.resources, "resource")
            ),
            (false, false) => with_wildcards(&self.resources, "resource"),
        };
        let conditions = match self.condition_keys.is_empty() {
            true => String::new(),
            false => format!(
                ", when its condition on {} holds",
                listed(&self.condition_keys)
            ),
        };
        let may = match self.effect.as_str() {
            "Deny" => "may not call",
            _ => "may call",
        };
        format!(
            "{name} ({}): {who} {may} {actions} on {resources}{conditions}.",
            self.effect
        )
    }
}

#[cfg(test)]
mod tests;
