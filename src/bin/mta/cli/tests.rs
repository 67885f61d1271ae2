//! The unit tests of `mta`'s dispatch: exit codes, errors and hints.

use super::*;
use marketplace_trusted_access::intake::{self, Kind};
use marketplace_trusted_access::outcome::Counts;
use marketplace_trusted_access::ports::ErrorKind;
use marketplace_trusted_access::report::Ending;
use run::command_payload;

fn report(outcome: ReportOutcome, planned: usize) -> Report {
    let intake = intake::parse(&serde_json::json!({"command": "reconcile"}));
    let mut r = Report::build(&intake, true, Ending::Ignored(String::new()));
    r.outcome = outcome;
    r.accounts = Counts {
        planned,
        ..Counts::default()
    };
    r
}

#[test]
fn exit_codes_are_the_documented_ones() {
    let codes: Vec<u8> = [
        Exit::InPlace,
        Exit::OutOfPlace,
        Exit::Usage,
        Exit::Aws,
        Exit::Interrupted,
    ]
    .map(Exit::code)
    .to_vec();
    assert_eq!(codes, [0, 1, 2, 3, 130]);
    for (code, text) in [
        (0, "\n  0 "),
        (1, "\n  1 "),
        (2, "\n  2 "),
        (3, "\n  3 "),
        (130, "\n  130 "),
    ] {
        assert!(args::EXIT_CODES.contains(text), "{code} is not documented");
    }
}

#[test]
fn plan_is_out_of_place_when_it_would_change_or_could_not_check_and_apply_succeeds_only_when_reconciled()
 {
    use ReportOutcome::{Failed, Incomplete, Reconciled};
    let plans = [
        ((Reconciled, 0, false), Exit::InPlace),
        ((Reconciled, 2, false), Exit::OutOfPlace),
        ((Failed, 0, false), Exit::OutOfPlace),
        ((Reconciled, 0, true), Exit::Interrupted),
    ];
    for ((outcome, planned, interrupted), exit) in plans {
        let r = report(outcome, planned);
        assert_eq!(plan_exit(&r, interrupted), exit, "{outcome:?} {planned}");
    }
    let applies = [
        ((Reconciled, false), Exit::InPlace),
        ((Failed, false), Exit::OutOfPlace),
        ((Incomplete, true), Exit::Interrupted),
    ];
    for ((outcome, interrupted), exit) in applies {
        let r = report(outcome, 0);
        assert_eq!(apply_exit(&r, interrupted), exit, "{outcome:?}");
    }
}

#[test]
fn a_refusal_names_the_missing_permission() {
    let denied = AwsError::new("AccessDeniedException", "not authorized");
    let e = CliError::Aws {
        action: "organizations:ListAccounts",
        what: "the organization",
        source: denied.clone(),
    };
    let text = e.to_string();
    assert!(
        text.contains("lack permission for organizations:ListAccounts"),
        "{text}"
    );
    assert_eq!(e.exit(), Exit::Aws);
    let failure = Failure {
        step: Step::GetRole,
        error: denied.of_kind(ErrorKind::Permanent),
    };
    assert!(with_permission_hint(&failure).contains("needs iam:GetRole"));
}

#[test]
fn the_payload_is_a_command_the_intake_handles() {
    let cli = <Cli as clap::Parser>::try_parse_from([
        "mta",
        "plan",
        "--account",
        "111111111111",
        "--departed",
        "222222222222",
    ])
    .unwrap();
    let Command::Plan(run) = cli.command else {
        panic!("not plan")
    };
    let intake = intake::parse(&command_payload(&run, true));
    assert!(matches!(
        intake.kind,
        Kind::Handle(marketplace_trusted_access::intake::Trigger::Command { dry_run: true, accounts: Some(ref a) })
            if a == &["111111111111", "222222222222"]
    ));
    assert_eq!(
        run::scopes_of(&run),
        [
            Scope::Listed(vec!["111111111111".into()]),
            Scope::Named {
                account_id: "222222222222".into(),
                departed: true,
                joining: false
            }
        ]
    );
}
