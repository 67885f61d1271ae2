//! AWS Marketplace, the one service whose role this function keeps in every account
//! (docs/design.md, "The service as data"). Its facts are its entry in the catalog, like every
//! other service's; this names the entry and the role the code writes.

pub use crate::catalog::{Role, Service};

/// AWS Marketplace's entry in the catalog: the one that `keeps_role` (`build.rs` allows one).
pub const MARKETPLACE: Service = crate::catalog::MARKETPLACE;
const _: () = assert!(
    MARKETPLACE.keeps_role,
    "the catalog keeps AWS Marketplace's role"
);

/// The role AWS Marketplace needs in every ACTIVE account while trusted access is enabled: the
/// first its entry names (`build.rs` keeps it first).
pub const MARKETPLACE_ROLE: Role = MARKETPLACE.roles[0];
