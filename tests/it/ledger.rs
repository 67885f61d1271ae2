//! Hand-offs followed until they are done (docs/design.md, "Hand-offs"), on fakes with the fake
//! clock: which situations open an item, reminders at most once per REMIND_AFTER, an item done or
//! made moot told once, and a disable judged by the ledger. `ledger_e2e` repeats the main path
//! through the binaries against the emulator.

use crate::common::sample;
use crate::reconcile::{far, organization};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::App;
use marketplace_trusted_access::handoff::{Handoff, Situation, Status};
use marketplace_trusted_access::messages::{Audience, Event, Message, Severity};
use marketplace_trusted_access::ports::StateStore;
use marketplace_trusted_access::report::Report;
use marketplace_trusted_access::service::MARKETPLACE;
use serde_json::Value;
use std::time::Duration;

const REMIND_AFTER: Duration = Duration::from_secs(24 * 3600);
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

async fn run(cloud: &FakeCloud, event: &Value) -> Report {
    let config = Config {
        remind_after: REMIND_AFTER,
        ..Config::default()
    };
    App::with_ports(config, cloud.ports())
        .handle(event, &far())
        .await
}

/// A sample with its ids made new, so that it is another fact than the sample.
fn again(name: &str, n: usize) -> Value {
    let mut event = sample(name);
    event["id"] = format!("{name}-{n}").into();
    if event["detail"].get("eventID").is_some() {
        event["detail"]["eventID"] = format!("{name}-event-{n}").into();
    }
    event
}

/// The messages published since the last call, and forgets them; but the sweep's own about the
/// roles it created.
fn told(cloud: &FakeCloud) -> Vec<Message> {
    let mut published = std::mem::take(&mut cloud.world().published);
    published.retain(|m| m.event != Event::DriftCorrected);
    published
}

fn events(messages: &[Message]) -> Vec<(&'static str, &'static str)> {
    messages
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect()
}

fn items(cloud: &FakeCloud) -> Vec<Handoff> {
    cloud.world().handoffs.values().cloned().collect()
}

/// What `mta handoffs done` records.
async fn mark_done(cloud: &FakeCloud, id: &str, note: &str) {
    let item = cloud.world().handoffs[id].clone();
    let done = Handoff {
        status: Status::Done,
        done_by: Some(ALICE.into()),
        done_at: Some(1_790_000_000),
        note: Some(note.into()),
        ..item
    };
    assert!(cloud.save_handoff(&done).await.unwrap());
}

/// What `mta handoffs request-disable` records, for AWS Marketplace.
async fn request_disable(cloud: &FakeCloud) -> String {
    request_disable_of(cloud, MARKETPLACE.principal, Audience::MarketplaceAdmin).await
}

/// What `mta handoffs request-disable --service SERVICE` records.
async fn request_disable_of(cloud: &FakeCloud, service: &str, audience: Audience) -> String {
    let item = Handoff {
        audience,
        ask: "Disable the integration, clean up, confirm.".into(),
        opened_by: format!("`mta handoffs request-disable`, run by {ALICE}"),
        last_told_at: 0,
        ..Handoff::opened(
            Situation::DisableRequest,
            "mta#test",
            service,
            1_790_000_000,
        )
    };
    let id = item.id.clone();
    assert!(cloud.save_handoff(&item).await.unwrap());
    id
}

#[tokio::test]
async fn an_enable_by_a_person_opens_one_item_reminded_at_most_once_per_remind_after() {
    // GIVEN trusted access enabled with Organizations tools
    let cloud = organization(true);
    run(&cloud, &sample("enable-by-cli-iamuser.json")).await;

    // THEN one item asks the Marketplace administrator to finish the set-up, and their message
    // names it and says how to close it
    let opened = items(&cloud);
    assert_eq!(opened.len(), 1, "{opened:?}");
    let item = &opened[0];
    assert_eq!(
        (item.situation, item.audience, item.status),
        (Situation::Setup, Audience::MarketplaceAdmin, Status::Open)
    );
    assert!(
        item.opened_by.contains("EnableAWSServiceAccess"),
        "{item:?}"
    );
    let first = told(&cloud);
    assert_eq!(
        events(&first),
        [("marketplace-admin", "trusted-access-enabled")]
    );
    assert_eq!(first[0].handoff.as_deref(), Some(item.id.as_str()));
    assert!(
        first[0]
            .text()
            .contains(&format!("mta handoffs done {}", item.id))
    );

    // AND the same event again opens nothing more
    run(&cloud, &sample("enable-by-cli-iamuser.json")).await;
    assert_eq!(items(&cloud).len(), 1);

    // WHEN two sweeps run within REMIND_AFTER, THEN no reminder
    run(&cloud, &again("scheduled.json", 1)).await;
    cloud.advance(REMIND_AFTER - Duration::from_secs(60));
    run(&cloud, &again("scheduled.json", 2)).await;
    assert!(events(&told(&cloud)).is_empty());

    // WHEN a sweep runs after REMIND_AFTER, THEN exactly one reminder, to the same audience; and
    // one more sweep at once sends none
    cloud.advance(Duration::from_secs(120));
    run(&cloud, &again("scheduled.json", 3)).await;
    run(&cloud, &again("scheduled.json", 4)).await;
    let reminders = told(&cloud);
    assert_eq!(
        events(&reminders),
        [("marketplace-admin", "handoff-reminder")]
    );
    assert_eq!(reminders[0].handoff.as_deref(), Some(item.id.as_str()));
    assert_eq!(items(&cloud)[0].reminders, 1);
}

#[tokio::test]
async fn an_item_marked_done_is_told_once_to_the_organizations_administrator() {
    let cloud = organization(true);
    run(&cloud, &sample("enable-by-cli-iamuser.json")).await;
    let id = items(&cloud)[0].id.clone();
    told(&cloud);

    // WHEN a person marks it done, then any invocation runs, twice
    mark_done(
        &cloud,
        &id,
        "integration created in the Marketplace console",
    )
    .await;
    run(&cloud, &sample("account-joined.json")).await;
    run(&cloud, &again("scheduled.json", 1)).await;

    // THEN the Organizations administrator hears it once, with who, when and the note
    let done: Vec<Message> = told(&cloud)
        .into_iter()
        .filter(|m| m.event == Event::HandoffDone)
        .collect();
    assert_eq!(events(&done), [("organizations-admin", "handoff-done")]);
    assert!(done[0].text().contains(ALICE), "{}", done[0].text());
    assert!(
        done[0]
            .text()
            .contains("integration created in the Marketplace console")
    );
    assert!(done[0].text().contains("2026-09-21T"), "{}", done[0].text());
    assert!(items(&cloud)[0].ending_told);
}

#[tokio::test]
async fn an_agreed_disable_is_told_as_info_naming_who_confirmed() {
    // GIVEN a request to disable, told to the Marketplace administrator once
    let cloud = organization(true);
    let id = request_disable(&cloud).await;
    run(&cloud, &again("scheduled.json", 1)).await;
    run(&cloud, &again("scheduled.json", 2)).await;
    let requested = told(&cloud);
    assert_eq!(
        events(&requested),
        [("marketplace-admin", "disable-requested")]
    );
    assert!(
        requested[0]
            .text()
            .contains(&format!("mta handoffs done {id}"))
    );
    assert_eq!(requested[0].organization, "o-exampleorgid");

    // AND confirmed, which the Organizations administrator hears
    mark_done(&cloud, &id, "disabled and cleaned up").await;
    run(&cloud, &again("scheduled.json", 3)).await;
    assert_eq!(
        events(&told(&cloud)),
        [("organizations-admin", "handoff-done")]
    );

    // WHEN trusted access is disabled with Organizations tools
    cloud.set_trusted_access(false);
    run(&cloud, &sample("disable-by-cli.json")).await;

    // THEN the hand-off is information that names who confirmed, no clean-up item is opened, and
    // the request is closed as fulfilled without another message
    let disabled = told(&cloud);
    assert!(!disabled.is_empty());
    for m in &disabled {
        assert_eq!(
            (m.event, m.severity),
            (Event::TrustedAccessDisabled, Severity::Info),
            "{}",
            m.subject
        );
        assert!(m.text().contains(ALICE), "{}", m.text());
        assert!(m.text().contains(&id));
    }
    let all = items(&cloud);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].status, Status::Closed);
}

#[tokio::test]
async fn a_disable_without_a_confirmed_request_warns_opens_a_clean_up_and_closes_the_set_up() {
    // GIVEN an open set-up item
    let cloud = organization(true);
    run(&cloud, &sample("enable-by-cli-iamuser.json")).await;
    let setup = items(&cloud)[0].id.clone();
    told(&cloud);

    // WHEN trusted access is disabled with Organizations tools, and no one asked for it
    cloud.set_trusted_access(false);
    run(&cloud, &sample("disable-by-cli.json")).await;

    // THEN the warning goes out as before, a clean-up item asks the Marketplace administrator to
    // confirm after the fact, and the set-up, now moot, is closed and told once
    let disabled = told(&cloud);
    let warnings: Vec<&Message> = disabled
        .iter()
        .filter(|m| m.event == Event::TrustedAccessDisabled)
        .collect();
    assert_eq!(warnings.len(), 2);
    assert!(warnings.iter().all(|m| m.severity == Severity::Warning));
    let closed: Vec<&Message> = disabled
        .iter()
        .filter(|m| m.event == Event::HandoffClosed)
        .collect();
    assert_eq!(closed.len(), 1, "{:?}", events(&disabled));
    assert_eq!(closed[0].severity, Severity::Info);
    assert!(closed[0].text().contains("before the set-up was finished"));
    let all = items(&cloud);
    let clean_up: Vec<&Handoff> = all
        .iter()
        .filter(|i| i.situation == Situation::CleanUp)
        .collect();
    assert_eq!(clean_up.len(), 1);
    assert_eq!(clean_up[0].audience, Audience::MarketplaceAdmin);
    let to_marketplace = warnings
        .iter()
        .find(|m| m.audience == Audience::MarketplaceAdmin)
        .unwrap();
    assert_eq!(
        to_marketplace.handoff.as_deref(),
        Some(clean_up[0].id.as_str())
    );
    assert_eq!(
        all.iter().find(|i| i.id == setup).unwrap().status,
        Status::Closed
    );

    // AND the same disable again opens nothing more and tells nothing more
    run(&cloud, &sample("disable-by-cli.json")).await;
    assert_eq!(items(&cloud).len(), 2);
    assert!(told(&cloud).is_empty());
}

#[tokio::test]
async fn marketplace_disabling_itself_closes_an_open_request() {
    let cloud = organization(true);
    request_disable(&cloud).await;
    run(&cloud, &again("scheduled.json", 1)).await;
    told(&cloud);

    cloud.set_trusted_access(false);
    run(&cloud, &sample("disable-by-marketplace.json")).await;

    let disabled = told(&cloud);
    assert!(
        events(&disabled).contains(&("organizations-admin", "handoff-closed")),
        "{:?}",
        events(&disabled)
    );
    let all = items(&cloud);
    assert_eq!(all.len(), 1, "no clean-up item: {all:?}");
    assert_eq!(all[0].status, Status::Closed);
}

#[tokio::test]
async fn another_service_enabled_where_its_console_finishes_the_set_up_opens_an_item() {
    let cloud = organization(false);
    cloud
        .world()
        .services
        .insert("guardduty.amazonaws.com".into());
    run(&cloud, &sample("guardian-enable-guardduty-by-cli.json")).await;

    let all = items(&cloud);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        (all[0].audience, all[0].service.as_str()),
        (Audience::ServiceAdmin, "guardduty.amazonaws.com")
    );
    let to_admin: Vec<Message> = told(&cloud)
        .into_iter()
        .filter(|m| m.audience == Audience::ServiceAdmin)
        .collect();
    assert_eq!(to_admin[0].handoff.as_deref(), Some(all[0].id.as_str()));

    // AND a sweep that finds its trusted access disabled closes it as moot, and tells it once
    cloud.world().services.clear();
    run(&cloud, &again("scheduled.json", 1)).await;
    run(&cloud, &again("scheduled.json", 2)).await;
    assert_eq!(
        events(&told(&cloud)),
        [("organizations-admin", "handoff-closed")]
    );
}

#[tokio::test]
async fn another_service_disabled_as_agreed_is_information_for_both_naming_who_confirmed() {
    // GIVEN a confirmed request to disable IAM Identity Center
    let cloud = organization(false);
    cloud.world().services.insert("sso.amazonaws.com".into());
    let id = request_disable_of(&cloud, "sso.amazonaws.com", Audience::ServiceAdmin).await;
    run(&cloud, &again("scheduled.json", 1)).await;
    assert_eq!(
        events(&told(&cloud)),
        [("service-admin", "disable-requested")]
    );
    mark_done(&cloud, &id, "instances deleted").await;

    // WHEN its trusted access is disabled with Organizations tools (and Organizations agrees)
    cloud.world().services.clear();
    run(&cloud, &sample("guardian-disable-sso-by-cli.json")).await;

    // THEN both audiences are told, as information naming who confirmed, threaded under the request
    let disabled: Vec<Message> = told(&cloud)
        .into_iter()
        .filter(|m| m.event == Event::TrustedAccessDisabled)
        .collect();
    assert_eq!(disabled.len(), 2, "{:?}", events(&disabled));
    for m in &disabled {
        assert_eq!(m.severity, Severity::Info, "{}", m.subject);
        assert!(m.text().contains(ALICE) && m.text().contains("instances deleted"));
        assert_eq!(m.handoff.as_deref(), Some(id.as_str()));
    }
    let all = items(&cloud);
    assert_eq!(all.len(), 1, "no clean-up item: {all:?}");
    assert_eq!(all[0].status, Status::Closed);
}

#[tokio::test]
async fn only_the_situations_open_an_item_and_only_when_organizations_agrees() {
    // An enable of a service whose console has nothing to finish (AWS Account Management) asks
    // nobody for it
    let cloud = organization(false);
    cloud
        .world()
        .services
        .insert("account.amazonaws.com".into());
    let mut enable = sample("guardian-disable-cloudtrail-by-cli.json");
    enable["detail"]["eventName"] = "EnableAWSServiceAccess".into();
    enable["detail"]["eventID"] = "account-enable".into();
    enable["detail"]["requestParameters"]["servicePrincipal"] = "account.amazonaws.com".into();
    let observed = run(&cloud, &enable).await;
    assert!(
        observed.reason.is_none() && !observed.notifications.is_empty(),
        "the enable is told: {}",
        observed.to_json_line()
    );
    assert!(items(&cloud).is_empty(), "{:?}", items(&cloud));

    // A disable that Organizations contradicts (trusted access still on) opens no clean-up
    let cloud = organization(true);
    run(&cloud, &sample("disable-by-cli.json")).await;
    assert!(items(&cloud).is_empty(), "{:?}", items(&cloud));

    // Nor does an enable by AWS Marketplace itself, whose console did the set-up
    run(&cloud, &sample("enable-by-marketplace.json")).await;
    assert!(items(&cloud).is_empty(), "{:?}", items(&cloud));
}

#[tokio::test]
async fn in_a_dry_run_the_ledger_is_neither_read_nor_written() {
    let cloud = organization(true);
    let config = Config {
        dry_run: true,
        ..Config::default()
    };
    App::with_ports(config, cloud.ports())
        .handle(&sample("enable-by-cli-iamuser.json"), &far())
        .await;
    assert!(items(&cloud).is_empty());
    let calls = cloud.world().calls.clone();
    assert!(
        calls
            .iter()
            .all(|(_, action)| !action.starts_with("dynamodb:")),
        "{calls:?}"
    );
}
