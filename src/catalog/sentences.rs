//! A sentence belongs to its own service (docs/design.md, "The service as data"): a step or an
//! effect that names a service must not stand in the catalog entry of another. The catalog once
//! sent AWS Config's after-disable step to five other services' administrators, copied word for
//! word. Generic sentences, which name no service, may repeat.
//!
//! `build.rs` runs this check over `src/catalog/services.toml` and stops the build on a copy; the
//! tests run it over the built catalog and over injected copies. It uses nothing but `std`, so that
//! both can include it.

/// The sentences of `text`: split after `.`, `!` or `?` followed by a space, trimmed.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1).is_none_or(|c| *c == b' ') {
            out.push(text[start..=i].trim());
            start = i + 1;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// Whether a sentence names a service: one of `names` (the catalog's service names), or a word
/// that AWS's names begin with (`AWS Config`, `Amazon GuardDuty`), other than AWS Organizations,
/// which every entry is about.
pub fn names_a_service(sentence: &str, names: &[&str]) -> bool {
    let plain = sentence.replace("AWS Organizations", "");
    names
        .iter()
        .filter(|n| **n != "AWS Organizations")
        .any(|n| plain.contains(n))
        || ["AWS ", "Amazon "].iter().any(|prefix| {
            plain.match_indices(prefix).any(|(at, _)| {
                plain[at + prefix.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase)
            })
        })
}

/// The sentences that name a service and stand in more than one entry, each with the ids of the
/// entries that hold it. `entries` are (id, the entry's step and effect texts).
pub fn copied<'a>(
    entries: &[(&'a str, Vec<&'a str>)],
    names: &[&str],
) -> Vec<(String, Vec<&'a str>)> {
    let mut seen: Vec<(String, Vec<&'a str>)> = Vec::new();
    for (id, texts) in entries {
        for sentence in texts.iter().flat_map(|t| sentences(t)) {
            if !names_a_service(sentence, names) {
                continue;
            }
            match seen.iter_mut().find(|(s, _)| s == sentence) {
                Some((_, ids)) if !ids.contains(id) => ids.push(id),
                Some(_) => {}
                None => seen.push((sentence.to_string(), vec![id])),
            }
        }
    }
    seen.retain(|(_, ids)| ids.len() > 1);
    seen
}
