//! One connection pool for the whole organization: every account's calls go through one HTTP client,
//! and only the credentials change per account, so the connections opened follow the concurrency,
//! not the number of accounts. Counted by a keep-alive proxy in front of the emulator
//! (`common::proxy`), since the emulator itself closes every connection.

use crate::common::proxy::CountingProxy;
use crate::common::{MARKETPLACE_PRINCIPAL, app_as, no_deadline, sample, shared};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::decision::Action;

const MEMBERS: usize = 40;
const CONCURRENCY: usize = 4;

#[tokio::test]
async fn a_sweep_of_forty_accounts_opens_connections_for_its_concurrency_not_its_accounts() {
    // GIVEN 40 members without the role, trusted access enabled, the function behind the proxy
    let emulator = shared().await;
    let org = emulator.seed_organization(MEMBERS, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let proxy = CountingProxy::start(emulator.endpoint()).await;
    let sdk = proxy.management_config(&emulator);
    let config = Config {
        max_concurrency: CONCURRENCY,
        ..Config::default()
    };

    // WHEN the enable event arrives
    let report = app_as(&sdk, config)
        .handle(&sample("enable-by-cli-iamuser.json"), &no_deadline())
        .await
        .into_result()
        .expect("the enable event is handled");

    // THEN every account got its role, through the proxy
    let created = report
        .actions
        .iter()
        .filter(|a| a.action == Action::Create)
        .count();
    assert_eq!(created, MEMBERS + 1, "{:?}", report.actions);
    for member in &org.active {
        assert!(emulator.marketplace_role_exists(member).await, "{member}");
    }
    // AND each member took at least AssumeRole, GetRole and CreateServiceLinkedRole
    let (requests, connections) = (proxy.requests(), proxy.connections());
    assert!(requests >= 3 * MEMBERS, "{requests} requests");
    // AND the connections follow the concurrency (hyper may open one more while another returns to
    // its pool), where a client per account would open at least one per account
    assert!(
        connections <= 2 * CONCURRENCY + 2,
        "{connections} connections for {requests} requests to {MEMBERS} members"
    );
    eprintln!("{MEMBERS} members: {requests} requests over {connections} connections");
}
