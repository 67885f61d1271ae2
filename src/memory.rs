//! One policy for a standing condition a sweep finds (docs/design.md, "State"): told when it appears
//! or changes, an unchanged one again at most once per `REMIND_AFTER`, and its end told once. The
//! failing accounts and the differences from `EXPECTED_SERVICES` both follow it; the state table
//! keeps what was told. Pure: the caller reads the memory before and saves the one returned.

use std::collections::BTreeMap;
use std::time::Duration;

/// A condition told, and when it was last told (seconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told<V> {
    pub value: V,
    pub warned_at: u64,
}

/// What was told of each condition, by its subject (a principal, an account set), and the version
/// of the stored item it was read at: a save succeeds only over that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory<V> {
    pub told: BTreeMap<String, Told<V>>,
    pub version: u64,
}

impl<V> Default for Memory<V> {
    fn default() -> Self {
        Memory {
            told: BTreeMap::new(),
            version: 0,
        }
    }
}

/// What to tell of one subject now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tell<V> {
    /// It appeared, changed, or is due a reminder: the condition as it is now.
    Stands(V),
    /// It ended: the condition as last told.
    Ended(V),
}

/// What to tell, by subject, in the order of the subjects: those that stand, then those that ended.
pub type Tells<V> = Vec<(String, Tell<V>)>;

/// What a sweep tells of the conditions it found (`now`), given what it remembers (`before`), and
/// the memory to save when it changed (`None`: nothing to save).
pub fn recall<V: Clone + PartialEq>(
    before: &Memory<V>,
    now: &BTreeMap<String, V>,
    at: u64,
    remind_after: Duration,
) -> (Tells<V>, Option<Memory<V>>) {
    let mut tell = Vec::new();
    let mut after = Memory {
        told: BTreeMap::new(),
        version: before.version,
    };
    for (subject, value) in now {
        let told = before.told.get(subject);
        let quiet = told.is_some_and(|t| {
            t.value == *value && at.saturating_sub(t.warned_at) < remind_after.as_secs()
        });
        let warned_at = match (quiet, told) {
            (true, Some(t)) => t.warned_at,
            _ => {
                tell.push((subject.clone(), Tell::Stands(value.clone())));
                at
            }
        };
        let value = value.clone();
        after
            .told
            .insert(subject.clone(), Told { value, warned_at });
    }
    for (subject, told) in before.told.iter().filter(|(s, _)| !now.contains_key(*s)) {
        tell.push((subject.clone(), Tell::Ended(told.value.clone())));
    }
    let changed = after.told != before.told;
    (tell, changed.then_some(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn now(pairs: &[(&str, u8)]) -> BTreeMap<String, u8> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_condition_is_told_when_it_appears_changes_or_is_due_and_its_end_once() {
        // Appears: told and remembered.
        let (tell, saved) = recall(&Memory::default(), &now(&[("a", 1)]), 1_000, DAY);
        assert_eq!(tell, [("a".to_string(), Tell::Stands(1))]);
        let told = saved.expect("remembered");
        // Unchanged within a day: quiet, nothing to save.
        let (tell, saved) = recall(&told, &now(&[("a", 1)]), 2_000, DAY);
        assert!(tell.is_empty() && saved.is_none());
        // Changed: told again at once.
        let (tell, _) = recall(&told, &now(&[("a", 2)]), 2_000, DAY);
        assert_eq!(tell, [("a".to_string(), Tell::Stands(2))]);
        // Unchanged a day later: reminded, and the reminder remembered.
        let (tell, saved) = recall(&told, &now(&[("a", 1)]), 1_000 + 86_400, DAY);
        assert_eq!(tell, [("a".to_string(), Tell::Stands(1))]);
        assert_eq!(saved.expect("saved").told["a"].warned_at, 87_400);
        // Ended: told once with what was told, and forgotten.
        let (tell, saved) = recall(&told, &BTreeMap::new(), 3_000, DAY);
        assert_eq!(tell, [("a".to_string(), Tell::Ended(1))]);
        let cleared = saved.expect("cleared");
        assert!(cleared.told.is_empty());
        let (tell, saved) = recall(&cleared, &BTreeMap::new(), 4_000, DAY);
        assert!(tell.is_empty() && saved.is_none());
    }

    #[test]
    fn the_version_read_is_the_version_saved_over() {
        let before = Memory {
            version: 7,
            ..Memory::default()
        };
        let (_, saved) = recall(&before, &now(&[("a", 1)]), 1, DAY);
        assert_eq!(saved.expect("saved").version, 7);
    }
}
