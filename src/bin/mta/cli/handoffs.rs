//! `mta handoffs`: the hand-off ledger in the state table (docs/design.md, "Hand-offs"), for the
//! people who answer hand-offs, with no more than the responders' policy grants: `Query`, `GetItem`
//! and `UpdateItem` on the ledger's items. `mta` publishes nothing: the function tells the other
//! side at its next invocation, the next sweep at the latest.

use super::args::{HandoffAction, HandoffsArgs};
use super::session;
use super::table::Table;
use super::{CliError, Exit, emit, say};
use marketplace_trusted_access::aws::accounts::AccountAccess;
use marketplace_trusted_access::aws::ledger::LedgerTable;
use marketplace_trusted_access::catalog;
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handoff::{Handoff, Situation, Status, rfc3339};
use marketplace_trusted_access::messages::Audience;
use marketplace_trusted_access::messages::handoffs::ask;
use marketplace_trusted_access::ports::{AwsError, Clock, RoleStore, SystemClock};
use marketplace_trusted_access::service::MARKETPLACE;

/// When the other side hears of what `mta` recorded.
const TOLD: &str = "The function tells it at its next invocation: the next sweep at the latest \
                    (the stack's SweepSchedule, every 6 hours by default).";

fn ledger_error(action: &'static str) -> impl Fn(AwsError) -> CliError {
    move |source| CliError::Aws {
        action,
        what: "the hand-off ledger",
        source,
    }
}

pub async fn handoffs(args: HandoffsArgs) -> Result<Exit, CliError> {
    let table = args
        .state_table
        .clone()
        .or_else(|| std::env::var("STATE_TABLE_NAME").ok())
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CliError::Input(
                "no state table: pass --state-table NAME or set STATE_TABLE_NAME (the stack's \
                 output StateTableName)"
                    .into(),
            )
        })?;
    let sdk = session::sdk_config(&args.session).await;
    session::check_credentials(&sdk, &args.session).await?;
    let ledger = LedgerTable::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    let items = ledger
        .read()
        .await
        .map_err(ledger_error("dynamodb:Query"))?;
    let json = args.json;
    let now = SystemClock.now();
    let caller = || async {
        let roles = AccountAccess::new(&sdk, &Config::default().member_role_name);
        roles.caller().await.map_err(|source| CliError::Aws {
            action: "sts:GetCallerIdentity",
            what: "who the credentials belong to",
            source,
        })
    };
    match args.action {
        None => {
            list(&items, args.all, json);
            Ok(Exit::InPlace)
        }
        Some(HandoffAction::Done { id, note }) => {
            let Some(item) = items.into_iter().find(|i| i.id == id) else {
                return Err(CliError::Input(format!(
                    "no hand-off {id} in the table {table}: `mta handoffs --all` lists them"
                )));
            };
            if !item.is_open() {
                say(&format!(
                    "mta: {id} is {} already; nothing recorded.\n",
                    ending(&item)
                ));
                show(&item, json);
                return Ok(Exit::InPlace);
            }
            let done = Handoff {
                status: Status::Done,
                done_by: Some(caller().await?.arn),
                done_at: Some(now),
                note,
                ..item
            };
            save(
                &ledger,
                done,
                json,
                "recorded as done; the side that asked is told",
            )
            .await
        }
        Some(HandoffAction::RequestDisable { service }) => {
            let service = service.unwrap_or_else(|| MARKETPLACE.principal.to_string());
            let open = items.into_iter().find(|i| {
                i.is_open() && i.situation == Situation::DisableRequest && i.service == service
            });
            if let Some(item) = open {
                say(&format!(
                    "mta: a disable of {service} is requested already, as {}.\n",
                    item.id
                ));
                show(&item, json);
                return Ok(Exit::InPlace);
            }
            let arn = caller().await?.arn;
            let key = format!("mta#request-disable#{service}#{now}#{arn}");
            let item = request(&service, &arn, &key, now);
            save(
                &ledger,
                item,
                json,
                "opened; the service's administrator is told",
            )
            .await
        }
    }
}

/// A request to disable `service`, opened by `arn`. Its audience is told at the function's next
/// invocation: `last_told_at` 0 says it has not been.
fn request(service: &str, arn: &str, key: &str, now: u64) -> Handoff {
    Handoff {
        audience: match service == MARKETPLACE.principal {
            true => Audience::MarketplaceAdmin,
            false => Audience::ServiceAdmin,
        },
        ask: ask(Situation::DisableRequest, service),
        opened_by: format!("`mta handoffs request-disable`, run by {arn}"),
        last_told_at: 0,
        ..Handoff::opened(Situation::DisableRequest, key, service, now)
    }
}

/// Saves an item over the version read; someone else's save in between is said, not overwritten.
async fn save(
    ledger: &LedgerTable,
    item: Handoff,
    json: bool,
    what: &str,
) -> Result<Exit, CliError> {
    let saved = ledger
        .save(&item)
        .await
        .map_err(ledger_error("dynamodb:UpdateItem"))?;
    if !saved {
        say(&format!(
            "mta: {} was changed by someone else in the meantime; nothing recorded. \
             `mta handoffs --all` shows it now.\n",
            item.id
        ));
        return Ok(Exit::OutOfPlace);
    }
    say(&format!("mta: {} {what}. {TOLD}\n", item.id));
    show(&item, json);
    Ok(Exit::InPlace)
}

/// How an item ended, in words.
fn ending(item: &Handoff) -> String {
    match item.status {
        Status::Open => "open".into(),
        Status::Done => format!(
            "done by {} at {}",
            item.done_by.as_deref().unwrap_or("(unknown)"),
            item.done_at.map_or_else(|| "(unknown)".into(), rfc3339)
        ),
        Status::Closed => format!(
            "closed: {}",
            item.closed_reason
                .as_deref()
                .unwrap_or("(no reason recorded)")
        ),
    }
}

fn show(item: &Handoff, json: bool) {
    match json {
        true => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(item).unwrap_or_default()
        )),
        false => list(std::slice::from_ref(item), true, false),
    }
}

/// The items, open ones only unless `all`, oldest first: a table, or a JSON array.
fn list(items: &[Handoff], all: bool, json: bool) {
    let mut shown: Vec<&Handoff> = items.iter().filter(|i| all || i.is_open()).collect();
    shown.sort_by_key(|i| (i.opened_at, i.id.clone()));
    if json {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&shown).unwrap_or_default()
        ));
        return;
    }
    let mut table = Table::new(["ID", "STATUS", "SERVICE", "AUDIENCE", "OPENED", "ASKS"]);
    for i in &shown {
        table.row(vec![
            i.id.clone(),
            ending(i),
            catalog::name_of(&i.service).to_string(),
            i.audience.as_str().to_string(),
            rfc3339(i.opened_at),
            i.ask.clone(),
        ]);
    }
    emit(&table.render());
}
