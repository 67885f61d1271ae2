//! CloudWatch metrics in Embedded Metric Format (docs/design.md, "Metrics"): one JSON line per
//! invocation on standard output, which CloudWatch Logs turns into metrics without an API call.
//!
//! Namespace `MarketplaceTrustedAccess`, one dimension `FunctionName`.

use crate::notify::DeliveryStatus;
use crate::report::Report;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const NAMESPACE: &str = "MarketplaceTrustedAccess";

/// The metrics of one invocation, as one EMF line.
pub fn line(
    report: &Report,
    duration: Duration,
    function_name: &str,
    timestamp: SystemTime,
) -> Value {
    let published = report
        .notifications
        .iter()
        .filter(|n| n.delivery == DeliveryStatus::Published)
        .count();
    let failed = report
        .notifications
        .iter()
        .filter(|n| n.delivery.is_unpublished())
        .count();
    let counts = [
        ("AccountsChecked", report.accounts.checked),
        ("AccountsCreated", report.accounts.created),
        ("AccountsDeleted", report.accounts.deleted),
        ("AccountsFailed", report.accounts.failed),
        ("AccountsUnreached", report.unreached.len()),
        ("NotificationsPublished", published),
        ("NotificationsFailed", failed),
    ];
    let mut metrics: Vec<Value> = counts
        .iter()
        .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
        .collect();
    metrics.push(json!({"Name": "Duration", "Unit": "Milliseconds"}));
    let mut line = json!({
        "_aws": {
            "Timestamp": timestamp.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": metrics,
            }],
        },
        "FunctionName": function_name,
        "Duration": duration.as_millis() as u64,
        "trigger": report.trigger,
        "eventId": report.event_id,
        "outcome": report.outcome,
    });
    for (name, value) in counts {
        line[name] = value.into();
    }
    line
}

/// Writes the invocation's metrics to standard output, where Lambda hands them to CloudWatch Logs.
pub fn emit(report: &Report, duration: Duration) {
    let function_name =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".to_string());
    println!(
        "{}",
        line(report, duration, &function_name, SystemTime::now())
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::Intake;
    use crate::report::Ending;

    #[test]
    fn the_line_declares_every_metric_and_carries_the_report_values() {
        let intake = Intake {
            name: "schedule".into(),
            event_id: Some("e-1".into()),
            recorded_in: None,
            kind: crate::intake::Kind::Handle(crate::intake::Trigger::Sweep),
        };
        let mut report = Report::build(&intake, false, Ending::Ignored("x".into()));
        report.accounts.checked = 7;
        report.accounts.failed = 2;
        report.unreached = vec!["111111111111".into()];
        let l = line(&report, Duration::from_millis(1234), "fn", UNIX_EPOCH);
        let declared = &l["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], NAMESPACE);
        assert_eq!(declared["Dimensions"], json!([["FunctionName"]]));
        for m in declared["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(l.get(name).is_some_and(Value::is_number), "{name}");
        }
        assert_eq!(
            (l["AccountsChecked"].clone(), l["AccountsFailed"].clone()),
            (json!(7), json!(2))
        );
        assert_eq!(
            (l["AccountsUnreached"].clone(), l["Duration"].clone()),
            (json!(1), json!(1234))
        );
        assert_eq!(l["FunctionName"], "fn");
    }
}
