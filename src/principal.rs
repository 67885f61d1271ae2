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
    }
}
