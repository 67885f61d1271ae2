use super::*;
use clap::CommandFactory;
use clap::error::ErrorKind;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("mta").chain(args.iter().copied()))
}

#[test]
fn the_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn defaults_are_the_functions() {
    let Command::Apply(apply) = parse(&["apply"]).unwrap().command else {
        panic!("not apply")
    };
    let defaults = Config::default();
    assert_eq!(
        apply.run.common.members.member_role_name,
        defaults.member_role_name
    );
    assert_eq!(
        apply.run.common.members.concurrency,
        defaults.max_concurrency
    );
    assert_eq!(apply.run.on_disable, defaults.on_disable);
    assert_eq!(apply.run.on_departure, defaults.on_departure);
    assert_eq!(defaults.on_disable, Removal::Retain);
    assert!(!apply.yes && apply.run.accounts.is_empty());
}

#[test]
fn accounts_repeat_or_split_on_commas() {
    let Command::Plan(plan) = parse(&[
        "plan",
        "--account",
        "111111111111,222222222222",
        "--account",
        "333333333333",
        "--on-disable",
        "delete",
    ])
    .unwrap()
    .command
    else {
        panic!("not plan")
    };
    assert_eq!(
        plan.accounts,
        ["111111111111", "222222222222", "333333333333"]
    );
    assert_eq!(plan.on_disable, Removal::Delete);
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag_and_what_it_accepts() {
    for (args, flag, expected) in [
        (&["plan", "--account", "12345"][..], "--account", "12-digit"),
        (
            &["status", "--concurrency", "0"],
            "--concurrency",
            "1 to 256",
        ),
        (
            &["status", "--member-role-name", "bad/name"],
            "--member-role-name",
            "IAM role name",
        ),
        (
            &["status", "--member-role-name", ""],
            "--member-role-name",
            "IAM role name",
        ),
        (
            &["apply", "--on-disable", "delet"],
            "--on-disable",
            "`delete`",
        ),
        (
            &["apply", "--on-departure", "yes"],
            "--on-departure",
            "`retain`",
        ),
        (
            &[
                "services",
                "--expected",
                "sso.amazonaws.com,not a principal",
            ],
            "--expected",
            "service principals separated by commas",
        ),
        (
            &["services", "--expected", ""],
            "--expected",
            "service principals separated by commas",
        ),
    ] {
        let err = parse(args).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation, "{args:?}");
        let text = err.to_string();
        assert!(text.contains(flag) && text.contains(expected), "{text}");
        assert_eq!(err.exit_code(), 2);
    }
    for args in [&["status", "--nope"][..], &[], &["frobnicate"]] {
        assert_eq!(parse(args).unwrap_err().exit_code(), 2, "{args:?}");
    }
}

#[test]
fn expected_services_are_read_as_the_function_reads_them() {
    let Command::Services(services) = parse(&[
        "services",
        "--json",
        "--expected",
        "SSO.amazonaws.com., guardduty.amazonaws.com,sso.amazonaws.com",
    ])
    .unwrap()
    .command
    else {
        panic!("not services")
    };
    assert!(services.output.json);
    assert_eq!(
        services.expected,
        Some(Expected(vec![
            "sso.amazonaws.com".into(),
            "guardduty.amazonaws.com".into()
        ]))
    );
    let Command::Services(services) = parse(&["services"]).unwrap().command else {
        panic!("not services")
    };
    assert_eq!(services.expected, None);
}

#[test]
fn an_account_both_listed_and_departed_is_refused() {
    let Command::Plan(plan) = parse(&[
        "plan",
        "--account",
        "111111111111",
        "--departed",
        "111111111111",
    ])
    .unwrap()
    .command
    else {
        panic!("not plan")
    };
    assert!(plan.check().unwrap_err().contains("111111111111"));
}
