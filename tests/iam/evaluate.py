"""Evaluates an identity policy with principalmapper's local policy simulation (an IAM evaluator that
honours conditions; not written here), for the guardrail's test (tests/it/guardrail.rs).

Usage: evaluate.py POLICY.json CASES.json
CASES.json is a list of {"caller": ARN, "action": ..., "principal": ...}. The caller holds an
Allow of every action on every resource (as an administrator role does) and the policy under test.
Prints, as JSON, the list with "allowed" added to each case.
"""

import collections
import collections.abc
import json
import sys

# principalmapper 1.1.5 imports Mapping and MutableMapping from `collections`, which Python 3.10
# moved to `collections.abc` only; the names are the same classes.
collections.Mapping = collections.abc.Mapping
collections.MutableMapping = collections.abc.MutableMapping

from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402

ADMINISTRATOR = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def node(arn, policy):
    attached = [
        Policy("arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess", ADMINISTRATOR),
        Policy("arn:aws:iam::123456789012:policy/Guardrail", "Guardrail", policy),
    ]
    trust = {"Version": "2012-10-17", "Statement": []}
    return Node(arn, "AROAEXAMPLE", attached, [], trust, None, 0, False, False, None, False, {})


def main():
    policy = json.load(open(sys.argv[1]))
    cases = json.load(open(sys.argv[2]))
    for case in cases:
        caller = node(case["caller"], policy)
        context = {
            "aws:PrincipalArn": case["caller"],
            "organizations:ServicePrincipal": case["principal"],
        }
        case["allowed"] = local_check_authorization_full(caller, case["action"], "*", context)
    json.dump(cases, sys.stdout)


main()
