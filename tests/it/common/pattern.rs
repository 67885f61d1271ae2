//! The one EventBridge pattern matcher of the tests: the templates' rules, evaluated against the
//! samples in `events/` and against records AWS would send. Its answers are checked against the
//! emulator's `events:TestEventPattern` for every rule and every sample EventBridge could deliver
//! (`template_rules::the_rules_matcher_answers_as_the_emulators_test_event_pattern`); it stays so
//! that the offline tests need no emulator.

use serde_json::Value;

/// Whether an EventBridge pattern matches an event, for the comparisons the templates use: exact
/// values, `prefix`, and `exists`, which asks whether the field is present in the event (the
/// EventBridge User Guide, "Exists matching", matches on whether a field is there); a field whose
/// value is a list matches when one of its items does.
pub fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    pattern
        .as_object()
        .expect("a pattern object")
        .iter()
        .all(|(key, expected)| {
            let actual = event.get(key);
            match expected {
                Value::Object(_) => {
                    actual.is_some_and(|a| a.is_object() && pattern_matches(expected, a))
                }
                Value::Array(alternatives) => {
                    alternatives.iter().any(|alt| value_matches(alt, actual))
                }
                other => panic!("unsupported pattern value {other}"),
            }
        })
}

fn value_matches(alternative: &Value, actual: Option<&Value>) -> bool {
    if let Some(Value::Array(items)) = actual {
        return items
            .iter()
            .any(|item| value_matches(alternative, Some(item)));
    }
    match alternative {
        Value::Object(map) if map.contains_key("exists") => {
            map["exists"].as_bool().expect("exists: bool") == actual.is_some()
        }
        Value::Object(map) if map.contains_key("prefix") => {
            let prefix = map["prefix"].as_str().expect("a prefix");
            actual
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with(prefix))
        }
        Value::Object(map) => panic!("unsupported comparison {map:?}"),
        literal => actual == Some(literal),
    }
}
