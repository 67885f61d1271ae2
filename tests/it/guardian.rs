//! The guardian against the emulator, through the function binary under `cargo lambda watch` and
//! the real SNS and DynamoDB clients: every trusted service's changes told to the right audiences
//! with the catalog's steps and the `service` attribute, delegated administrators, the same event
//! told once, and drift from `EXPECTED_SERVICES` at the sweeps (docs/design.md, "The guardian").

use crate::as_aws_sends::{of, payload_file, sample_with};
use crate::cargo_lambda::{Function, invoke, root};
use crate::common::{MARKETPLACE_PRINCIPAL, shared};
use crate::sns::Subscribers;
use serde_json::Value;

async fn send(function: &Function, name: &str) -> Value {
    invoke(
        function.port,
        &root().join("events").join(name),
        &function.log,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_change_of_another_service_is_told_to_its_audiences_with_the_catalogs_steps() {
    let emulator = shared().await;
    emulator.seed_organization(1, 0).await;
    let subscribers = Subscribers::new(&emulator).await;
    let function = Function::with_state(&emulator, &subscribers, &[]).await;

    // A person disables IAM Identity Center with Organizations tools.
    emulator.set_trusted_access("sso.amazonaws.com", true).await;
    emulator
        .set_trusted_access("sso.amazonaws.com", false)
        .await;
    let report = send(&function, "guardian-disable-sso-by-cli.json").await;
    assert_eq!(report["outcome"], "observed", "{report}");
    assert_eq!(report["servicePrincipal"], "sso.amazonaws.com");
    assert_eq!(report["actions"], Value::Array(vec![]));
    let received = subscribers.drain().await;
    for audience in ["organizations-admin", "service-admin"] {
        let told = of(&received, audience);
        assert_eq!(told.len(), 1, "{audience}");
        let m = told[0];
        assert_eq!(m.attributes["service"], "sso.amazonaws.com");
        assert_eq!(m.attributes["event"], "trusted-access-disabled");
        assert_eq!(m.attributes["severity"], "warning");
        assert!(
            m.subject.contains("AWS IAM Identity Center"),
            "{}",
            m.subject
        );
        assert!(
            m.body.contains("users lose sign-in to every account"),
            "{}",
            m.body
        );
        assert!(m.body.contains("diego.ramirez"), "who: {}", m.body);
        assert!(m.body.contains("aws-cli/2.27.31"), "the client: {}", m.body);
    }
    assert!(of(&received, "marketplace-admin").is_empty());

    // A person enables AWS Config; its console must finish the setup.
    emulator
        .set_trusted_access("config.amazonaws.com", true)
        .await;
    send(&function, "guardian-enable-config-by-cli.json").await;
    let received = subscribers.drain().await;
    let to_admin = of(&received, "service-admin");
    assert_eq!(to_admin.len(), 1);
    assert_eq!(to_admin[0].attributes["severity"], "action-required");
    assert!(
        to_admin[0].body.contains("aggregator"),
        "{}",
        to_admin[0].body
    );
    assert_eq!(
        of(&received, "organizations-admin")[0].attributes["severity"],
        "info"
    );

    // GuardDuty enabled from Organizations tools.
    emulator
        .set_trusted_access("guardduty.amazonaws.com", true)
        .await;
    send(&function, "guardian-enable-guardduty-by-cli.json").await;
    let received = subscribers.drain().await;
    for audience in ["organizations-admin", "service-admin"] {
        let told = of(&received, audience);
        assert_eq!(told.len(), 1, "{audience}");
        assert_eq!(told[0].attributes["service"], "guardduty.amazonaws.com");
        assert!(
            told[0].subject.contains("Amazon GuardDuty"),
            "{}",
            told[0].subject
        );
    }

    // CloudTrail disabled: what stops working is the organization trail.
    emulator
        .set_trusted_access("cloudtrail.amazonaws.com", true)
        .await;
    emulator
        .set_trusted_access("cloudtrail.amazonaws.com", false)
        .await;
    for _ in 0..2 {
        // Delivered twice, told once.
        send(&function, "guardian-disable-cloudtrail-by-cli.json").await;
    }
    let received = subscribers.drain().await;
    let told = of(&received, "organizations-admin");
    assert_eq!(told.len(), 1);
    assert!(
        told[0].body.contains("organization trails"),
        "{}",
        told[0].body
    );
    assert_eq!(of(&received, "service-admin").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegated_administrator_registered_for_guardduty_is_told_naming_the_account() {
    let emulator = shared().await;
    let org = emulator.seed_organization(2, 0).await;
    let subscribers = Subscribers::new(&emulator).await;
    let function = Function::with_state(&emulator, &subscribers, &[]).await;
    let member = &org.active[0];
    emulator
        .set_trusted_access("guardduty.amazonaws.com", true)
        .await;
    aws_sdk_organizations::Client::new(&emulator.management_config())
        .register_delegated_administrator()
        .account_id(member)
        .service_principal("guardduty.amazonaws.com")
        .send()
        .await
        .expect("RegisterDelegatedAdministrator");

    let file = sample_with(
        "guardian-register-delegated-admin-guardduty.json",
        &[("210987654321", member)],
    );
    let report = invoke(function.port, &file, &function.log).await;
    assert_eq!(report["outcome"], "observed", "{report}");

    let received = subscribers.drain().await;
    for audience in ["organizations-admin", "service-admin"] {
        let told = of(&received, audience);
        assert_eq!(told.len(), 1, "{audience}");
        assert_eq!(told[0].attributes["event"], "delegated-admin-registered");
        assert_eq!(told[0].attributes["service"], "guardduty.amazonaws.com");
        assert!(told[0].body.contains(member.as_str()), "{}", told[0].body);
    }
}

/// The scheduled sample with an EventBridge id of its own: each sweep is a fact of its own.
pub(crate) fn sweep(n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("events/scheduled.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["id"] = format!("00000000-0000-4000-8000-{n:012}").into();
    payload_file("sweep.json", &event.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_enabled_behind_the_functions_back_is_warned_at_the_next_sweep_once() {
    let emulator = shared().await;
    emulator.seed_organization(1, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    emulator.set_trusted_access("sso.amazonaws.com", true).await;
    let subscribers = Subscribers::new(&emulator).await;
    let expected = format!("{MARKETPLACE_PRINCIPAL},sso.amazonaws.com");
    let function =
        Function::with_state(&emulator, &subscribers, &[("EXPECTED_SERVICES", &expected)]).await;
    let drift = |received: &std::collections::BTreeMap<&'static str, Vec<crate::sns::Received>>| {
        of(received, "organizations-admin")
            .into_iter()
            .filter(|m| m.attributes["event"].starts_with("trusted-access-"))
            .map(|m| {
                (
                    m.attributes["event"].clone(),
                    m.attributes["service"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };

    // As expected: nothing to tell.
    let report = invoke(function.port, &sweep(1), &function.log).await;
    assert_eq!(
        report["services"]["differing"],
        serde_json::json!({}),
        "{report}"
    );
    assert!(drift(&subscribers.drain().await).is_empty());

    // AWS Config enabled behind the function's back: warned at the next sweep…
    emulator
        .set_trusted_access("config.amazonaws.com", true)
        .await;
    let report = invoke(function.port, &sweep(2), &function.log).await;
    assert_eq!(
        report["services"]["differing"]["config.amazonaws.com"],
        "unexpected"
    );
    assert_eq!(
        drift(&subscribers.drain().await),
        [(
            "trusted-access-drift".to_string(),
            "config.amazonaws.com".to_string()
        )]
    );
    // …not again at the one after…
    invoke(function.port, &sweep(3), &function.log).await;
    assert!(drift(&subscribers.drain().await).is_empty());
    // …and its removal is announced once.
    emulator
        .set_trusted_access("config.amazonaws.com", false)
        .await;
    invoke(function.port, &sweep(4), &function.log).await;
    assert_eq!(
        drift(&subscribers.drain().await),
        [(
            "trusted-access-restored".to_string(),
            "config.amazonaws.com".to_string()
        )]
    );
    invoke(function.port, &sweep(5), &function.log).await;
    assert!(drift(&subscribers.drain().await).is_empty());
}

/// The routing of docs/design.md, "The guardian", on fakes: who hears what, how urgently, for each
/// kind of change; and no role written for any service but Marketplace.
#[tokio::test]
async fn the_guardian_routes_each_change_and_writes_nothing() {
    use marketplace_trusted_access::fake::{FakeCloud, is_mutating};
    use marketplace_trusted_access::handler::App;
    let cloud = FakeCloud::organization(2);
    cloud.world().services = [
        "config.amazonaws.com".to_string(),
        "guardduty.amazonaws.com".to_string(),
    ]
    .into();
    let app = App::with_ports(Default::default(), cloud.ports());
    let by_service = |name: &str, principal: &str| {
        let mut event = crate::common::sample(name);
        event["detail"]["userIdentity"] =
            serde_json::json!({"accountId": "123456789012", "invokedBy": principal});
        event["detail"]["sourceIPAddress"] = principal.into();
        event["detail"]["userAgent"] = principal.into();
        event["detail"]["eventID"] = format!("by-{principal}").into();
        event
    };
    let cases = [
        // (event, expected (audience, severity) pairs)
        (
            crate::common::sample("guardian-disable-sso-by-cli.json"),
            vec![
                ("organizations-admin", "warning"),
                ("service-admin", "warning"),
            ],
        ),
        (
            crate::common::sample("guardian-enable-config-by-cli.json"),
            vec![
                ("organizations-admin", "info"),
                ("service-admin", "action-required"),
            ],
        ),
        (
            by_service(
                "guardian-enable-guardduty-by-cli.json",
                "guardduty.amazonaws.com",
            ),
            vec![("organizations-admin", "info")],
        ),
        (
            by_service("guardian-disable-sso-by-cli.json", "sso.amazonaws.com"),
            vec![("organizations-admin", "info")],
        ),
    ];
    for (event, expected) in cases {
        let before = cloud.world().published.len();
        let report = app.handle(&event, &crate::common::no_deadline()).await;
        assert_eq!(
            report.outcome,
            marketplace_trusted_access::report::ReportOutcome::Observed
        );
        let told: Vec<(&str, &str)> = cloud.world().published[before..]
            .iter()
            .map(|m| (m.audience.as_str(), m.severity.as_str()))
            .collect();
        assert_eq!(told, expected, "{}", report.to_json_line());
    }
    // An event Organizations contradicts (CloudTrail is not enabled here, the event says it was
    // enabled) is told to nobody.
    let mut stale = crate::common::sample("guardian-enable-guardduty-by-cli.json");
    stale["detail"]["requestParameters"]["servicePrincipal"] = "cloudtrail.amazonaws.com".into();
    stale["detail"]["eventID"] = "stale".into();
    let before = cloud.world().published.len();
    let report = app.handle(&stale, &crate::common::no_deadline()).await;
    assert!(report.reason.is_some_and(|r| r.contains("out of date")));
    assert_eq!(cloud.world().published.len(), before);
    // Only the topic and the state table were written: no role, anywhere.
    let writes: Vec<&str> = cloud
        .world()
        .calls
        .iter()
        .map(|(_, c)| *c)
        .filter(|c| is_mutating(c))
        .collect();
    assert!(
        writes
            .iter()
            .all(|c| c.starts_with("sns:") || c.starts_with("dynamodb:")),
        "{writes:?}"
    );
}
