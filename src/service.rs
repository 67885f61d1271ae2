//! A service that works with AWS Organizations through trusted access, described as data
//! (docs/design.md, "The service as data"): its principal, its name, the service-linked role it
//! needs and its console. AWS Marketplace is the service whose role this function keeps; no other
//! file names its principal or its role.

/// A service-linked role, as IAM names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceLinkedRole {
    pub name: &'static str,
    /// The path IAM gives it: `/aws-service-role/<principal>/`.
    pub path: &'static str,
    /// The AWS managed policy attached to it.
    pub policy: &'static str,
}

/// A service that integrates with AWS Organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The service principal whose trusted access Organizations enables.
    pub principal: &'static str,
    /// The service's name, as AWS writes it.
    pub name: &'static str,
    /// The role that must be in every ACTIVE account while trusted access is enabled.
    pub role: ServiceLinkedRole,
    /// Where the service's administrator finishes or undoes the integration.
    pub console: &'static str,
}

/// AWS Marketplace: its page in the Organizations User Guide is
/// https://docs.aws.amazon.com/organizations/latest/userguide/services-that-can-integrate-marketplace.html.
pub const MARKETPLACE: Service = Service {
    principal: "license-management.marketplace.amazonaws.com",
    name: "AWS Marketplace",
    role: ServiceLinkedRole {
        name: "AWSServiceRoleForMarketplaceLicenseManagement",
        path: "/aws-service-role/license-management.marketplace.amazonaws.com/",
        policy: "AWSMarketplaceLicenseManagementServiceRolePolicy",
    },
    console: "AWS Marketplace console (https://console.aws.amazon.com/marketplace/) > Settings > \
              AWS Organizations integration",
};
