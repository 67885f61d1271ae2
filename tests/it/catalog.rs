//! The catalog of services that work with AWS Organizations (`src/catalog/services.toml`, checked
//! by `build.rs`): every entry complete and sourced from AWS's pages, every principal the emulator
//! accepts found, `find` exact, and `docs/catalog.md` what the catalog renders. Run
//! `UPDATE_DOCS=1 cargo test --test it catalog` to rewrite that document.

use marketplace_trusted_access::catalog::{self, EnableWith, SERVICES, Service};
use marketplace_trusted_access::service;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The principals the emulator (moto) accepts for EnableAWSServiceAccess, spelled as moto spells
/// them, the stray trailing dot of one included.
const EMULATOR_PRINCIPALS: &[&str] = &[
    "access-analyzer.amazonaws.com",
    "account.amazonaws.com",
    "auditmanager.amazonaws.com",
    "aws-artifact-account-sync.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "compute-optimizer.amazonaws.com",
    "config.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "controltower.amazonaws.com",
    "detective.amazonaws.com",
    "devops-guru.amazonaws.com",
    "ds.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "health.amazonaws.com",
    "inspector2.amazonaws.com",
    "ipam.amazonaws.com",
    "license-manager.amazonaws.com",
    "license-manager.member-account.amazonaws.com.",
    "license-manager-linux-subscriptions.amazonaws.com",
    "license-management.marketplace.amazonaws.com",
    "macie.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "mgn.amazonaws.com",
    "ram.amazonaws.com",
    "reporting.trustedadvisor.amazonaws.com",
    "reachabilityanalyzer.networkinsights.amazonaws.com",
    "securityhub.amazonaws.com",
    "storage-lens.s3.amazonaws.com",
    "securitylake.amazonaws.com",
    "servicecatalog.amazonaws.com",
    "servicequotas.amazonaws.com",
    "stacksets.cloudformation.amazonaws.com",
    "sso.amazonaws.com",
    "ssm.amazonaws.com",
    "tagpolicies.tag.amazonaws.com",
    "wellarchitected.amazonaws.com",
];

const ORGANIZATIONS_GUIDE: &str = "https://docs.aws.amazon.com/organizations/latest/userguide/";

#[test]
fn every_entry_is_complete_and_sourced_from_the_organizations_user_guide() {
    assert!(SERVICES.len() >= 40, "{} services", SERVICES.len());
    let mut ids = BTreeSet::new();
    let mut principals = BTreeSet::new();
    for s in SERVICES {
        assert!(
            s.source.starts_with(ORGANIZATIONS_GUIDE) && s.source.ends_with(".html"),
            "{}: {}",
            s.id,
            s.source
        );
        for (field, value) in [
            ("id", s.id),
            ("name", s.name),
            ("console_url", s.console_url),
            (
                "after_enable.organizations_admin",
                s.after_enable.organizations_admin,
            ),
            ("after_enable.service_admin", s.after_enable.service_admin),
            (
                "after_disable.organizations_admin",
                s.after_disable.organizations_admin,
            ),
            ("after_disable.service_admin", s.after_disable.service_admin),
        ] {
            assert!(!value.trim().is_empty(), "{}: {field} is empty", s.id);
        }
        assert!(s.console_url.starts_with("https://"), "{}", s.id);
        assert_eq!(s.principals.first(), Some(&s.principal), "{}", s.id);
        assert!(ids.insert(s.id), "duplicate id {}", s.id);
        for p in s.principals {
            assert!(p.ends_with(".amazonaws.com"), "{}: {p}", s.id);
            assert!(principals.insert(*p), "duplicate principal {p}");
        }
        for role in s.roles {
            assert!(
                !role.name.is_empty() && !role.created_in.is_empty(),
                "{}",
                s.id
            );
            assert!(
                role.path.starts_with("/aws-service-role/")
                    && role.path.ends_with(".amazonaws.com/"),
                "{}: {} at {}",
                s.id,
                role.name,
                role.path
            );
        }
    }
    let firsts: Vec<&str> = SERVICES.iter().map(|s| s.principal).collect();
    assert!(firsts.is_sorted(), "sorted by first principal");
    // One entry per page of the guide.
    let sources: BTreeSet<&str> = SERVICES.iter().map(|s| s.source).collect();
    assert_eq!(sources.len(), SERVICES.len(), "two entries share a page");
}

#[test]
fn every_principal_the_emulator_accepts_is_in_the_catalog() {
    let missing: Vec<&str> = EMULATOR_PRINCIPALS
        .iter()
        .map(|p| p.strip_suffix('.').unwrap_or(p))
        .filter(|p| catalog::find(p).is_none())
        .collect();
    assert!(missing.is_empty(), "not in the catalog: {missing:?}");
    // `find` takes the emulator's spelling as it is, too.
    for p in EMULATOR_PRINCIPALS {
        assert!(catalog::find(p).is_some(), "{p}");
    }
}

#[test]
fn the_services_whose_disable_hurts_most_say_what_it_breaks() {
    for (service, words) in [
        (&catalog::SSO, "sign-in"),
        (&catalog::CLOUDTRAIL, "organization trails"),
        (&catalog::CONFIG, "aggregator"),
        (&catalog::SECURITY_HUB, "delegated administrator"),
        (&catalog::STACKSETS, "service-managed permissions"),
    ] {
        assert!(!service.disable_breaks.is_empty(), "{}", service.id);
        assert_eq!(service.what_a_disable_breaks(), service.disable_breaks);
        assert!(
            service.disable_breaks.contains(words),
            "{}: {:?} does not mention {words:?}",
            service.id,
            service.disable_breaks
        );
    }
    let general = SERVICES
        .iter()
        .find(|s| s.disable_breaks.is_empty())
        .expect("a service without a specific sentence");
    assert!(!general.what_a_disable_breaks().is_empty());
    assert!(
        SERVICES
            .iter()
            .filter(|s| !s.disable_breaks.is_empty())
            .all(|s| s.what_a_disable_breaks() != general.what_a_disable_breaks()),
        "the general sentence is not a specific one"
    );
}

#[test]
fn find_is_exact_but_ignores_case_and_one_trailing_dot() {
    for s in SERVICES {
        for p in s.principals {
            assert_eq!(catalog::find(p), Some(s), "{p}");
        }
    }
    assert_eq!(catalog::find("SSO.amazonaws.com."), Some(&catalog::SSO));
    assert_eq!(catalog::find("sso.amazonaws.com"), Some(&catalog::SSO));
    for unknown in [
        "",
        ".",
        "sso.amazonaws.com..",
        " sso.amazonaws.com",
        "sso.amazonaws",
        "sso",
        "example.amazonaws.com",
        "organizations.amazonaws.com",
        "marketplace.amazonaws.com",
    ] {
        assert_eq!(catalog::find(unknown), None, "{unknown:?}");
    }
}

#[test]
fn the_marketplace_entry_is_the_service_this_function_keeps() {
    let entry = catalog::find(service::MARKETPLACE.principal).expect("AWS Marketplace");
    assert_eq!(entry, &catalog::MARKETPLACE);
    // The role the function writes: the entry's first, with its policy and the path IAM gives it.
    let role = service::MARKETPLACE_ROLE;
    assert_eq!(entry.roles.first(), Some(&role));
    assert_eq!(role.path, format!("/aws-service-role/{}/", entry.principal));
    assert!(role.policy.is_some_and(|p| p.starts_with("AWSMarketplace")));
    assert!(role.name.starts_with("AWSServiceRoleFor"));
}

fn yes(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn where_to_enable(with: EnableWith) -> &'static str {
    match with {
        EnableWith::ServiceConsole => "the service's console or tools",
        EnableWith::Organizations => "Organizations tools only",
        EnableWith::Either => "either",
    }
}

/// Text for a table cell: no line breaks, no column separators.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn section(out: &mut String, s: &Service) {
    let _ = write!(
        out,
        "\n<a id=\"{id}\"></a>\n\n## {name}\n\n\
         - Principals: {principals}\n\
         - Trusted access is turned on with: {with} (`{enable_with}`)\n\
         - Delegated administrator: {delegated}\n\
         - The service's console finishes the setup: {finishes}\n\
         - Console: <{console}>\n\
         - Source: [AWS Organizations User Guide]({source})\n\
         - Checked on {checked} against `{repo}` at `{commit}`, `{path}`\n",
        id = s.id,
        name = s.name,
        principals = code_list(s.principals),
        with = where_to_enable(s.enable_with),
        enable_with = s.enable_with.as_str(),
        delegated = yes(s.delegated_admin),
        finishes = yes(s.console_finishes_setup),
        console = s.console_url,
        source = s.source,
        checked = s.checked.on,
        repo = s.checked.repo,
        commit = s.checked.commit,
        path = s.checked.path,
    );
    for page in s.other_sources {
        let _ = writeln!(out, "- Also from: <{page}>");
    }
    if let Some(call) = s.own_admin_call {
        let _ = writeln!(
            out,
            "- Its own calls that name the delegated administrator: {} (<{}>; checked against \
             `{}` at `{}`, `{}`)",
            code_list(call.actions),
            call.sources.join(">, <"),
            call.checked.repo,
            call.checked.commit,
            call.checked.path
        );
    }
    out.push_str("\n### Service-linked roles\n\n");
    if s.roles.is_empty() {
        out.push_str("The page names no service-linked role.\n");
    } else {
        out.push_str("| Role | Created in | Path | Policy |\n| --- | --- | --- | --- |\n");
        for r in s.roles {
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} |",
                r.name,
                cell(r.created_in),
                r.path,
                r.policy
                    .map_or_else(|| "—".to_string(), |p| format!("`{p}`"))
            );
        }
    }
    for (title, steps) in [
        ("After trusted access is enabled", s.after_enable),
        ("After trusted access is disabled", s.after_disable),
    ] {
        let _ = write!(
            out,
            "\n### {title}\n\n\
             - **Organizations administrator:** {}\n\
             - **Service administrator:** {}\n",
            steps.organizations_admin, steps.service_admin
        );
    }
    let _ = write!(
        out,
        "\n### What a disable breaks\n\n{}{}\n",
        s.what_a_disable_breaks(),
        if s.disable_breaks.is_empty() {
            " *(General: the page says nothing specific.)*"
        } else {
            ""
        }
    );
    if !s.note.is_empty() {
        let _ = write!(out, "\n### Note\n\n{}\n", s.note);
    }
}

fn render() -> String {
    let principals: usize = SERVICES.iter().map(|s| s.principals.len()).sum();
    let mut out = format!(
        "# Services that work with AWS Organizations\n\n\
         The AWS services that integrate with AWS Organizations through trusted access, one per page of \
         the AWS Organizations User Guide: {} services, {principals} service principals. Rendered from \
         `src/catalog/services.toml` (the `catalog` module) by `tests/it/catalog.rs`; do not edit by \
         hand (`UPDATE_DOCS=1 cargo test --test it catalog` rewrites it).\n\n\
         | Service | Principals | Turn trusted access on with | Delegated admin | Console finishes setup | Source |\n\
         | --- | --- | --- | --- | --- | --- |\n",
        SERVICES.len()
    );
    for s in SERVICES {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} | {} | {} | [page]({}) |",
            cell(s.name),
            s.id,
            code_list(s.principals),
            where_to_enable(s.enable_with),
            yes(s.delegated_admin),
            yes(s.console_finishes_setup),
            s.source
        );
    }
    for s in SERVICES {
        section(&mut out, s);
    }
    out
}

#[test]
fn the_committed_catalog_document_is_what_the_catalog_renders() {
    let rendered = render();
    crate::common::assert_generated("docs/catalog.md", &rendered, "catalog");
    for s in SERVICES {
        assert!(
            rendered.contains(&format!("<a id=\"{}\"></a>\n\n## {}\n", s.id, s.name)),
            "{}",
            s.id
        );
        assert!(
            rendered.contains(&format!("[{}](#{})", cell(s.name), s.id)),
            "{}",
            s.id
        );
        for p in s.principals {
            assert!(rendered.contains(&format!("`{p}`")), "{p}");
        }
        for r in s.roles {
            assert!(rendered.contains(&format!("`{}`", r.name)), "{}", r.name);
        }
    }
}

/// Every entry's step and effect texts, as `build.rs` hands them to the sentence check.
fn texts() -> Vec<(&'static str, Vec<&'static str>)> {
    SERVICES
        .iter()
        .map(|s| {
            (
                s.id,
                vec![
                    s.after_enable.organizations_admin,
                    s.after_enable.service_admin,
                    s.after_disable.organizations_admin,
                    s.after_disable.service_admin,
                    s.disable_breaks,
                ],
            )
        })
        .collect()
}

#[test]
fn a_sentence_that_names_a_service_stands_in_its_own_entry_only() {
    use marketplace_trusted_access::catalog::sentences::copied;
    let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    // Today's catalog: no step or effect that names a service stands in two entries.
    assert_eq!(copied(&texts(), &names), vec![]);

    // The copy the catalog once held: AWS Config's after-disable step in five other entries.
    let config_step = "Check the organization aggregators and other organization-wide AWS Config \
                       features, which rely on trusted access.";
    let mut injected = texts();
    let others = [
        "account",
        "audit-manager",
        "compute-optimizer",
        "detective",
        "devops-guru",
    ];
    for (id, texts) in injected.iter_mut() {
        if *id == "config" || others.contains(id) {
            texts.push(config_step);
        }
    }
    let found = copied(&injected, &names);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, config_step);
    let mut ids = found[0].1.clone();
    ids.sort();
    assert_eq!(
        ids,
        [
            "account",
            "audit-manager",
            "compute-optimizer",
            "config",
            "detective",
            "devops-guru"
        ]
    );

    // One copied sentence of any service, even one AWS's names do not begin with, is found too.
    let mut injected = texts();
    injected[1]
        .1
        .push("Ask the IAM Access Analyzer administrator to re-create the analyzers.");
    injected[2]
        .1
        .push("Ask the IAM Access Analyzer administrator to re-create the analyzers.");
    assert_eq!(copied(&injected, &names).len(), 1);

    // A generic sentence, which names no service, may repeat.
    let mut injected = texts();
    injected[0].1.push("The page gives no further step.");
    injected[1].1.push("The page gives no further step.");
    assert_eq!(copied(&injected, &names), vec![]);
}

#[test]
fn every_entry_says_when_and_against_which_copy_it_was_checked() {
    for s in SERVICES {
        assert_eq!(s.checked.on.len(), 10, "{}", s.id);
        assert_eq!(s.checked.commit.len(), 40, "{}", s.id);
        assert!(s.checked.path.starts_with("docs/"), "{}", s.id);
        for page in s.other_sources {
            assert!(
                page.starts_with("https://docs.aws.amazon.com/"),
                "{}: {page}",
                s.id
            );
        }
    }
}

#[test]
fn a_services_own_delegation_call_is_named_where_a_page_gives_one() {
    let own: Vec<(&str, &str)> = SERVICES
        .iter()
        .flat_map(|s| {
            let actions = s.own_admin_call.map_or(&[][..], |c| c.actions);
            actions.iter().map(move |a| (s.id, *a))
        })
        .collect();
    // The ones the issue names, as their API references spell them.
    for (id, action) in [
        ("guardduty", "guardduty:EnableOrganizationAdminAccount"),
        (
            "cloudtrail",
            "cloudtrail:RegisterOrganizationDelegatedAdmin",
        ),
    ] {
        assert!(own.contains(&(id, action)), "{id}: {own:?}");
    }
    // Services whose pages give only Organizations' call or the console have none.
    for id in ["sso", "config", "account"] {
        assert!(own.iter().all(|(i, _)| *i != id), "{id}: {own:?}");
    }
    for s in SERVICES.iter().filter(|s| s.own_admin_call.is_some()) {
        let call = s.own_admin_call.unwrap();
        assert!(s.delegated_admin, "{}", s.id);
        assert!(
            call.sources
                .iter()
                .all(|p| p.starts_with("https://docs.aws.amazon.com/")),
            "{}",
            s.id
        );
        assert_eq!(call.checked.commit.len(), 40, "{}", s.id);
    }
}
