//! The guardrail (docs/design.md, "The guardrail"): an identity policy for the management account's
//! administrator roles that denies turning trusted access on or off, and registering or
//! deregistering a delegated administrator, for the protected services, to everyone but the
//! break-glass principals. `mta guardrail` prints it; template.yaml offers the same document as an
//! optional managed policy.
//!
//! Only an identity policy can: service control policies and resource control policies do not apply
//! to the management account, the only account that can make these calls. The guardian stays the
//! detector; this only prevents where the policy is attached.

use serde_json::{Value, json};

use crate::catalog::{self, SERVICES};
use crate::intake::is_account_id;
use crate::principal::{is_principal, normalize};

/// The four Organizations actions that take `organizations:ServicePrincipal`, in the order the
/// policy lists them (sorted).
pub const ACTIONS: [&str; 4] = [
    "organizations:DeregisterDelegatedAdministrator",
    "organizations:DisableAWSServiceAccess",
    "organizations:EnableAWSServiceAccess",
    "organizations:RegisterDelegatedAdministrator",
];

/// The statement's `Sid`, as template.yaml writes it too.
pub const SID: &str = "ProtectTrustedAccessAndDelegatedAdministrators";

/// Why a word of `--protect` or a break-glass ARN cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardrailError {
    #[error(
        "{0:?} is neither a service principal (guardduty.amazonaws.com) nor a catalog id (guardduty; docs/catalog.md)"
    )]
    Unknown(String),
    #[error(
        "{0:?} is not an IAM role or user ARN (arn:aws:iam::123456789012:role/BreakGlass; * may stand for any characters)"
    )]
    NotAnArn(String),
    #[error("no service to protect: give --protect, or set EXPECTED_SERVICES")]
    Nothing,
}

/// The principals a word stands for: a principal as it is (normalised), or every principal of the
/// catalog entry with that id.
pub fn principals_of(word: &str) -> Result<Vec<String>, GuardrailError> {
    let word = normalize(word.trim());
    if let Some(service) = SERVICES.iter().find(|s| s.id == word) {
        return Ok(service.principals.iter().map(|p| p.to_string()).collect());
    }
    match is_principal(&word) && word.contains(".amazonaws.com") {
        true => Ok(vec![word]),
        false => Err(GuardrailError::Unknown(word)),
    }
}

/// Whether `arn` names an IAM role or user (`arn:<partition>:iam::<account>:role/<path/name>`), as
/// `aws:PrincipalArn` is compared with `ArnNotLike` (so `*` and `?` are allowed).
pub fn check_break_glass(arn: &str) -> Result<String, GuardrailError> {
    let arn = arn.trim();
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = match fields[..] {
        ["arn", partition, "iam", "", account, resource] => {
            partition.starts_with("aws")
                && is_account_id(account)
                && ["role/", "user/"]
                    .iter()
                    .any(|kind| resource.len() > kind.len() && resource.starts_with(kind))
                && resource
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=.@_-/*?".contains(&b))
        }
        _ => false,
    };
    match valid {
        true => Ok(arn.to_string()),
        false => Err(GuardrailError::NotAnArn(arn.to_string())),
    }
}

/// The principals of `words`, each once, sorted.
pub fn protected(words: &[String]) -> Result<Vec<String>, GuardrailError> {
    let mut principals = Vec::new();
    for word in words {
        principals.extend(principals_of(word)?);
    }
    principals.sort();
    principals.dedup();
    match principals.is_empty() {
        true => Err(GuardrailError::Nothing),
        false => Ok(principals),
    }
}

/// The policy document: one `Deny` of [`ACTIONS`] where `organizations:ServicePrincipal` is one of
/// `principals`, unless `aws:PrincipalArn` is one of `break_glass` (no such exception when it is
/// empty).
pub fn policy(principals: &[String], break_glass: &[String]) -> Value {
    let mut condition = json!({
        "StringEquals": { "organizations:ServicePrincipal": principals },
    });
    if !break_glass.is_empty() {
        condition["ArnNotLike"] = json!({ "aws:PrincipalArn": break_glass });
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": SID,
            "Effect": "Deny",
            "Action": ACTIONS,
            "Resource": "*",
            "Condition": condition,
        }],
    })
}

/// The names of the services `principals` belong to, for a person reading what is protected.
pub fn names(principals: &[String]) -> Vec<&str> {
    principals.iter().map(|p| catalog::name_of(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn catalog_ids_and_principals_name_the_same_services() {
        assert_eq!(
            protected(&words(&["sso", "cloudtrail"])).unwrap(),
            protected(&words(&["cloudtrail.amazonaws.com", "SSO.amazonaws.com."])).unwrap(),
        );
        // An id stands for every principal of its entry.
        assert_eq!(
            protected(&words(&["guardduty", "guardduty.amazonaws.com"])).unwrap(),
            [
                "guardduty.amazonaws.com",
                "malware-protection.guardduty.amazonaws.com"
            ]
        );
        // A principal the catalog does not know is still protected: AWS adds services.
        assert_eq!(
            protected(&words(&["new-service.amazonaws.com"])).unwrap(),
            ["new-service.amazonaws.com"]
        );
    }

    #[test]
    fn unknown_words_and_nothing_at_all_are_refused() {
        assert_eq!(
            protected(&words(&["ssoo"])),
            Err(GuardrailError::Unknown("ssoo".into()))
        );
        assert_eq!(protected(&[]), Err(GuardrailError::Nothing));
    }

    #[test]
    fn break_glass_arns_are_iam_roles_or_users() {
        for good in [
            "arn:aws:iam::123456789012:role/BreakGlass",
            "arn:aws-us-gov:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlass_*",
            "arn:aws:iam::123456789012:user/alice",
        ] {
            assert_eq!(check_break_glass(good).as_deref(), Ok(good));
        }
        for bad in [
            "arn:aws:iam::12345678901:role/Short",
            "arn:aws:sts::123456789012:assumed-role/BreakGlass/me",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:group/Admins",
            "BreakGlass",
        ] {
            assert!(check_break_glass(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_exception_is_written_only_for_break_glass_principals() {
        let principals = words(&["sso.amazonaws.com"]);
        let without = policy(&principals, &[]);
        assert!(without["Statement"][0]["Condition"]["ArnNotLike"].is_null());
        let with = policy(&principals, &words(&["arn:aws:iam::123456789012:role/B"]));
        assert_eq!(
            with["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            json!(["arn:aws:iam::123456789012:role/B"])
        );
        assert_eq!(with["Statement"][0]["Action"], json!(ACTIONS));
    }
}
