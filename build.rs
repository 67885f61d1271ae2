//! Turns the catalog of services that work with AWS Organizations, `src/catalog/services.toml`, into
//! Rust constants (`$OUT_DIR/catalog.rs`, included by `src/catalog.rs`).
//!
//! The catalog is data because it is a list of facts taken from AWS's pages, one entry per page:
//! whoever checks it against AWS reads and edits one plain file, and every principal and role name
//! is spelled there and nowhere else. It is checked here, at build time, so that a missing field, a
//! duplicate principal, an entry out of order or a source that is not AWS's documentation stops the
//! build with the entry named, rather than reaching a running function; and the code gets `const`
//! values with nothing to parse at run time.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt::Write;

#[path = "src/catalog/sentences.rs"]
mod sentences;

const CATALOG: &str = "src/catalog/services.toml";
const DOCS: &str = "https://docs.aws.amazon.com/";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    service: Vec<Entry>,
}

/// One `[[service]]` table. Strings default to empty so that a missing field and an empty one get
/// the same message, naming the entry.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Entry {
    id: String,
    name: String,
    principals: Vec<String>,
    source: String,
    enable_with: String,
    console_url: String,
    delegated_admin: Option<bool>,
    console_finishes_setup: Option<bool>,
    /// Whether this function keeps the service's first role in every ACTIVE account while trusted
    /// access is on: one entry only (AWS Marketplace), the one whose role it writes.
    keeps_role: bool,
    after_enable_organizations_admin: String,
    after_enable_service_admin: String,
    after_disable_organizations_admin: String,
    after_disable_service_admin: String,
    disable_breaks: String,
    note: String,
    /// The day the entry was last compared with AWS's page (`YYYY-MM-DD`).
    checked: String,
    /// The copy of the page it was compared with.
    checked_against: Option<Copy>,
    /// AWS pages other than `source` that a sentence of the entry rests on.
    other_sources: Vec<String>,
    /// The service's own call that names its delegated administrator, where a page gives one.
    own_admin_call: Option<OwnCall>,
    roles: Vec<Role>,
}

/// `own_admin_call`: the actions (`guardduty:EnableOrganizationAdminAccount`), the pages that say
/// so, and the copy of the first page.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OwnCall {
    actions: Vec<String>,
    sources: Vec<String>,
    checked_against: Copy,
}

/// A stored copy of an AWS page: a repository, a commit and a path.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Copy {
    repo: String,
    commit: String,
    path: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Role {
    name: String,
    created_in: String,
    path: Option<String>,
    policy: Option<String>,
}

fn main() {
    println!("cargo:rerun-if-changed={CATALOG}");
    println!("cargo:rerun-if-changed=src/catalog/sentences.rs");
    let text = std::fs::read_to_string(CATALOG).unwrap_or_else(|e| panic!("{CATALOG}: {e}"));
    let catalog: Catalog = toml::from_str(&text).unwrap_or_else(|e| panic!("{CATALOG}: {e}"));
    validate(&catalog.service);
    no_copied_sentences(&catalog.service);
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.rs");
    std::fs::write(&out, render(&catalog.service))
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// Stops the build, naming the entry by its position, its id and its name (whichever it has).
fn stop(index: usize, entry: &Entry, problem: &str) -> ! {
    panic!(
        "{CATALOG}, [[service]] #{} (id {:?}, name {:?}): {problem}",
        index + 1,
        entry.id,
        entry.name
    )
}

fn validate(entries: &[Entry]) {
    assert!(!entries.is_empty(), "{CATALOG}: no [[service]] entries");
    let keepers: Vec<&str> = entries
        .iter()
        .filter(|e| e.keeps_role)
        .map(|e| e.id.as_str())
        .collect();
    assert!(
        keepers.len() == 1,
        "{CATALOG}: exactly one entry has `keeps_role = true` (the one role the function writes), \
         not {keepers:?}"
    );
    let mut ids = BTreeSet::new();
    let mut principals = BTreeSet::new();
    let mut previous: Option<&str> = None;
    for (index, entry) in entries.iter().enumerate() {
        let fail = |problem: String| stop(index, entry, &problem);
        for (field, value) in [
            ("id", &entry.id),
            ("name", &entry.name),
            ("source", &entry.source),
            ("enable_with", &entry.enable_with),
            ("console_url", &entry.console_url),
            (
                "after_enable_organizations_admin",
                &entry.after_enable_organizations_admin,
            ),
            (
                "after_enable_service_admin",
                &entry.after_enable_service_admin,
            ),
            (
                "after_disable_organizations_admin",
                &entry.after_disable_organizations_admin,
            ),
            (
                "after_disable_service_admin",
                &entry.after_disable_service_admin,
            ),
        ] {
            if value.trim().is_empty() {
                fail(format!("`{field}` is missing or empty"));
            }
        }
        if entry.delegated_admin.is_none() || entry.console_finishes_setup.is_none() {
            fail("`delegated_admin` and `console_finishes_setup` must both be set".into());
        }
        let kebab = entry.id.starts_with(|c: char| c.is_ascii_lowercase())
            && !entry.id.ends_with('-')
            && entry
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            fail(format!("id {:?} is not kebab-case", entry.id));
        }
        if !ids.insert(entry.id.as_str()) {
            fail(format!("duplicate id {:?}", entry.id));
        }
        if entry.principals.is_empty() {
            fail("`principals` is missing or empty".into());
        }
        for principal in &entry.principals {
            let spelled = !principal.is_empty()
                && !principal.ends_with('.')
                && principal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c));
            if !spelled {
                fail(format!(
                    "principal {principal:?} is not a lowercase DNS name without a trailing dot"
                ));
            }
            if !principals.insert(principal.as_str()) {
                fail(format!("duplicate principal {principal:?}"));
            }
        }
        let first = entry.principals[0].as_str();
        if let Some(before) = previous
            && before >= first
        {
            fail(format!(
                "not sorted by first principal: {first:?} comes after {before:?}"
            ));
        }
        previous = Some(first);
        if !entry.source.starts_with(DOCS) {
            fail(format!(
                "source {:?} is not a page under {DOCS}",
                entry.source
            ));
        }
        let date = entry.checked.len() == 10
            && entry.checked.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !date {
            fail(format!(
                "checked {:?} is not a date (YYYY-MM-DD)",
                entry.checked
            ));
        }
        if !entry.checked_against.as_ref().is_some_and(names_a_copy) {
            fail(
                "`checked_against` must name the copy: { repo, commit (40 hex digits), path (.md) }"
                    .into(),
            );
        }
        if let Some(call) = &entry.own_admin_call {
            let well_formed = |action: &String| {
                let (prefix, name) = action.split_once(':').unwrap_or_default();
                !prefix.is_empty()
                    && prefix
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric())
            };
            if entry.delegated_admin != Some(true)
                || call.actions.is_empty()
                || !call.actions.iter().all(well_formed)
                || call.sources.is_empty()
                || !call.sources.iter().all(|s| s.starts_with(DOCS))
                || !names_a_copy(&call.checked_against)
            {
                fail(
                    "`own_admin_call` needs `delegated_admin = true`, actions `prefix:Name`, \
                     sources under https://docs.aws.amazon.com/ and the first one's \
                     `checked_against` copy"
                        .into(),
                );
            }
        }
        if let Some(page) = entry.other_sources.iter().find(|p| !p.starts_with(DOCS)) {
            fail(format!(
                "other_sources: {page:?} is not a page under {DOCS}"
            ));
        }
        if !["service-console", "organizations", "either"].contains(&entry.enable_with.as_str()) {
            fail(format!(
                "enable_with {:?} is not one of service-console, organizations, either",
                entry.enable_with
            ));
        }
        if entry.keeps_role && entry.roles.is_empty() {
            fail("`keeps_role` needs the role to keep: a [[service.roles]] entry".into());
        }
        for role in &entry.roles {
            if role.name.trim().is_empty() || role.created_in.trim().is_empty() {
                fail("a [[service.roles]] entry needs `name` and `created_in`".into());
            }
            if role
                .path
                .as_deref()
                .is_some_and(|p| !p.starts_with('/') || !p.ends_with('/'))
            {
                fail(format!(
                    "role {:?}: path must start and end with '/'",
                    role.name
                ));
            }
            if role.policy.as_deref().is_some_and(|p| p.trim().is_empty()) {
                fail(format!("role {:?}: policy is empty", role.name));
            }
        }
    }
}

/// Whether a copy names a repository, a commit (40 hex digits) and a Markdown page.
fn names_a_copy(copy: &Copy) -> bool {
    !copy.repo.trim().is_empty()
        && copy.commit.len() == 40
        && copy.commit.bytes().all(|b| b.is_ascii_hexdigit())
        && copy.path.ends_with(".md")
}

/// A step or an effect that names a service stands in its own entry only (`sentences.rs`).
fn no_copied_sentences(entries: &[Entry]) {
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let texts: Vec<(&str, Vec<&str>)> = entries
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                vec![
                    e.after_enable_organizations_admin.as_str(),
                    e.after_enable_service_admin.as_str(),
                    e.after_disable_organizations_admin.as_str(),
                    e.after_disable_service_admin.as_str(),
                    e.disable_breaks.as_str(),
                ],
            )
        })
        .collect();
    if let Some((sentence, ids)) = sentences::copied(&texts, &names).first() {
        panic!(
            "{CATALOG}: the entries {ids:?} share a sentence that names a service; a step or an \
             effect belongs to its own service: {sentence:?}"
        );
    }
}

/// `marketplace` is `MARKETPLACE`, `security-hub` is `SECURITY_HUB`.
fn constant(id: &str) -> String {
    id.to_ascii_uppercase().replace('-', "_")
}

fn render(entries: &[Entry]) -> String {
    let mut out = format!("// Generated by build.rs from {CATALOG}; edit that file instead.\n");
    for e in entries {
        let enable_with = match e.enable_with.as_str() {
            "service-console" => "ServiceConsole",
            "organizations" => "Organizations",
            _ => "Either",
        };
        let copy = e.checked_against.as_ref().expect("checked in validate");
        let roles: String = e
            .roles
            .iter()
            .map(|r| {
                let path = r
                    .path
                    .clone()
                    .unwrap_or_else(|| format!("/aws-service-role/{}/", e.principals[0]));
                let policy = match &r.policy {
                    Some(p) => format!("Some({p:?})"),
                    None => "None".into(),
                };
                format!(
                    "Role {{ name: {:?}, created_in: {:?}, path: {path:?}, policy: {policy} }}, ",
                    r.name, r.created_in
                )
            })
            .collect();
        let _ = write!(
            out,
            "\n/// {name}: <{source}>\npub const {constant}: Service = Service {{\n    id: {id:?},\n    \
             name: {name:?},\n    principal: {principal:?},\n    principals: &{principals:?},\n    \
             source: {source:?},\n    enable_with: EnableWith::{enable_with},\n    console_url: {console:?},\n    \
             delegated_admin: {delegated},\n    console_finishes_setup: {finishes},\n    \
             keeps_role: {keeps},\n    roles: &[{roles}],\n    \
             after_enable: Steps {{ organizations_admin: {eo:?}, service_admin: {es:?} }},\n    \
             after_disable: Steps {{ organizations_admin: {do_:?}, service_admin: {ds:?} }},\n    \
             disable_breaks: {breaks:?},\n    note: {note:?},\n    \
             checked: Checked {{ on: {checked:?}, repo: {repo:?}, commit: {commit:?}, path: {path:?} }},\n    \
             other_sources: &{others:?},\n    own_admin_call: {own},\n}};\n",
            constant = constant(&e.id),
            id = e.id,
            name = e.name,
            principal = e.principals[0],
            principals = e.principals,
            source = e.source,
            console = e.console_url,
            delegated = e.delegated_admin.unwrap(),
            finishes = e.console_finishes_setup.unwrap(),
            keeps = e.keeps_role,
            eo = e.after_enable_organizations_admin,
            es = e.after_enable_service_admin,
            do_ = e.after_disable_organizations_admin,
            ds = e.after_disable_service_admin,
            breaks = e.disable_breaks,
            note = e.note,
            checked = e.checked,
            repo = copy.repo,
            commit = copy.commit,
            path = copy.path,
            others = e.other_sources,
            own = match &e.own_admin_call {
                Some(c) => format!(
                    "Some(OwnCall {{ actions: &{:?}, sources: &{:?}, checked: Checked {{ on: {:?}, \
                     repo: {:?}, commit: {:?}, path: {:?} }} }})",
                    c.actions,
                    c.sources,
                    e.checked,
                    c.checked_against.repo,
                    c.checked_against.commit,
                    c.checked_against.path
                ),
                None => "None".into(),
            },
        );
    }
    let all: Vec<String> = entries.iter().map(|e| constant(&e.id)).collect();
    let _ = writeln!(
        out,
        "\n/// Every service of the catalog, sorted by first principal.\npub static SERVICES: &[Service] = &[{}];",
        all.join(", ")
    );
    out
}
