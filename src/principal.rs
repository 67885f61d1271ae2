//! Service principals and who made a change (docs/design.md, "Who made a change").
//!
//! A principal is normalised once, where it enters (an event, a variable, a command line, an
//! Organizations answer): ASCII lowercase, one trailing dot removed. Two principals are then
//! compared one way, by [`same`]. Who made a change is decided from them in one place,
//! `intake::Origin::made_by`.

/// A principal as the code keeps it: ASCII lowercase, without a trailing dot (the emulator lists
/// one principal with a stray dot, and case does not matter to IAM).
pub fn normalize(s: &str) -> String {
    s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase()
}

/// Whether `s` looks like a service principal (`guardduty.amazonaws.com`): a DNS name of
/// lower-case letters, digits, dots and hyphens. AWS adds services, so it need not be in the
/// catalog.
pub fn is_principal(s: &str) -> bool {
    (3..=128).contains(&s.len())
        && s.contains('.')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Whether two spellings name the same service principal: the one comparison of principals.
pub fn same(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// A service principal, normalised once where it enters: the type a trigger carries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Principal(String);

impl Principal {
    /// `s`, normalised.
    pub fn new(s: &str) -> Principal {
        Principal(normalize(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it names the same service as `other`, however `other` is spelled.
    pub fn is(&self, other: &str) -> bool {
        same(&self.0, other)
    }
}

impl std::ops::Deref for Principal {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Principal {
    fn from(s: &str) -> Principal {
        Principal::new(s)
    }
}

impl PartialEq<str> for Principal {
    fn eq(&self, other: &str) -> bool {
        self.is(other)
    }
}

impl PartialEq<&str> for Principal {
    fn eq(&self, other: &&str) -> bool {
        self.is(other)
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_once_compared_one_way() {
        assert_eq!(normalize("SSO.amazonaws.com."), "sso.amazonaws.com");
        assert!(same("Sso.AmazonAws.com.", "sso.amazonaws.com"));
        assert!(!same("sso.amazonaws.com", "sso.amazonaws.co"));
        assert!(is_principal("guardduty.amazonaws.com"));
        assert!(!is_principal("GuardDuty"));
        let principal = Principal::new("GuardDuty.amazonaws.com.");
        assert_eq!(principal.as_str(), "guardduty.amazonaws.com");
        assert!(principal.is("guardduty.AMAZONAWS.com"));
    }
}
