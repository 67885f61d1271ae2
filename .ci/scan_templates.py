"""Renders the two templates as CloudFormation would deploy them, for a few configurations, and
lints every IAM policy document they contain. Run by .ci/scan inside .venv-scan.

    python .ci/scan_templates.py render OUT_DIR   # writes the rendered templates for checkov
    python .ci/scan_templates.py policies OUT_DIR # lints the policies of the rendered templates

Rendering a configuration: the template's conditions are evaluated with its parameter values, every
`Fn::If` is replaced by the branch it selects (an `AWS::NoValue` branch removes the key or the list
item), resources whose condition is false are dropped, the parameters get the configuration's
values as defaults, and template.yaml goes through the SAM transform, so that the roles SAM
generates are scanned too. Checkov cannot evaluate a policy statement that is still an `Fn::If`
(its IAM checks answer UNKNOWN, which is not reported); the rendered copies leave it nothing
unresolved but plain `Ref`, `Fn::Sub` and `Fn::GetAtt`.

The policy linter is parliament, with its community auditors. Intrinsics are resolved to
placeholder strings shaped like the ARNs they stand for (a queue's `Arn` is an SQS ARN, a role's a
role ARN), so that parliament can match resources against the actions' resource types.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "marketplace-trusted-access"
NO_VALUE = {"Ref": "AWS::NoValue"}
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::StackName": STACK,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/00000000-0000-0000-0000-000000000000",
    "AWS::URLSuffix": "amazonaws.com",
}

# Values every configuration needs (parameters without a default).
REQUIRED = {
    "OrganizationId": "o-exampleorgid",
    "TargetOrganizationalUnitIds": "r-ab12",
}
# The configurations scanned: the defaults, a dry run, and everything switched on (deletion,
# departed accounts, a customer managed key, a permissions boundary, every e-mail subscription, the
# chat topic, the Security Hub findings, the guardrail with a break-glass role).
CONFIGURATIONS = {
    "defaults": {},
    "dry-run": {"DryRun": "true"},
    "everything": {
        "OnDisable": "delete",
        "OnDeparture": "delete",
        "RetainMemberRoleOnDeparture": "true",
        "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/org/workload-boundary",
        "OrganizationsAdminEmail": "org-admins@example.com",
        "MarketplaceAdminEmail": "marketplace-admins@example.com",
        "AccountAdminEmail": "account-admins@example.com",
        "AlarmEmail": "oncall@example.com",
        "ChatNotifications": "enabled",
        "SecurityHubFindings": "true",
        "ProtectedServices": "cloudtrail.amazonaws.com,sso.amazonaws.com",
        "BreakGlassPrincipalArns": f"arn:aws:iam::{ACCOUNT}:role/BreakGlass",
    },
}


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def parameter_values(template: dict, given: dict) -> dict:
    values = {}
    for name, spec in template.get("Parameters", {}).items():
        if name in given:
            values[name] = given[name]
        elif "Default" in spec:
            values[name] = spec["Default"]
        else:
            raise SystemExit(f"no value for parameter {name}")
    return values


def condition_value(expr, params: dict, conditions: dict, seen=()):
    """Evaluates a condition expression: Fn::Equals/Not/And/Or, Condition, Ref, strings."""
    if isinstance(expr, (str, int, float, bool)):
        return expr
    if isinstance(expr, dict) and len(expr) == 1:
        (key, arg), = expr.items()
        if key == "Ref":
            return params[arg] if arg in params else PSEUDO[arg]
        if key == "Condition":
            if arg in seen:
                raise SystemExit(f"condition cycle through {arg}")
            return condition_value(conditions[arg], params, conditions, seen + (arg,))
        if key == "Fn::Equals":
            a, b = (condition_value(x, params, conditions, seen) for x in arg)
            return str(a) == str(b)
        if key == "Fn::Not":
            return not condition_value(arg[0], params, conditions, seen)
        if key == "Fn::And":
            return all(condition_value(x, params, conditions, seen) for x in arg)
        if key == "Fn::Or":
            return any(condition_value(x, params, conditions, seen) for x in arg)
    raise SystemExit(f"unsupported condition expression {expr!r}")


def choose_branches(value, truth: dict):
    """`value` with every Fn::If replaced by its selected branch; AWS::NoValue removes the item."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, yes, no = value["Fn::If"]
            return choose_branches(yes if truth[name] else no, truth)
        out = {}
        for key, item in value.items():
            chosen = choose_branches(item, truth)
            if chosen != NO_VALUE:
                out[key] = chosen
        return out
    if isinstance(value, list):
        items = (choose_branches(item, truth) for item in value)
        return [item for item in items if item != NO_VALUE]
    return value


def render(template: dict, given: dict) -> tuple[dict, dict]:
    """The template as deployed with `given` parameter values, and those values."""
    params = parameter_values(template, given)
    conditions = template.get("Conditions", {})
    truth = {name: bool(condition_value(expr, params, conditions)) for name, expr in conditions.items()}
    out = copy.deepcopy(template)
    out.pop("Conditions", None)
    out.pop("Rules", None)
    resources = {}
    for name, resource in out["Resources"].items():
        condition = resource.pop("Condition", None)
        if condition is None or truth[condition]:
            resources[name] = resource
    out["Resources"] = choose_branches(resources, truth)
    out["Outputs"] = {
        name: output
        for name, output in out.get("Outputs", {}).items()
        if output.get("Condition") is None or truth[output["Condition"]]
    }
    for name, spec in out.get("Parameters", {}).items():
        spec["Default"] = params[name]
    return out, params


def sam_transform(template: dict) -> dict:
    import logging

    from samtranslator.translator.transform import transform

    logging.getLogger("samtranslator").setLevel(logging.ERROR)

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/placeholder.zip"

    class ManagedPolicies:  # the only AWS managed policy SAM attaches here
        def load(self):
            return {
                "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            }

    return transform(template, {}, ManagedPolicies())


def rendered_templates() -> dict[str, dict]:
    """File name -> rendered template, for every configuration."""
    main = load("template.yaml")
    member = load("member-role.yaml")
    out = {}
    for config, values in CONFIGURATIONS.items():
        given = {**REQUIRED, **values}
        rendered, params = render(main, given)
        out[f"template.{config}.json"] = sam_transform(rendered)
        # The StackSet passes its parameters to member-role.yaml.
        stack_set = rendered["Resources"]["MemberRoleStackSet"]["Properties"]
        member_given = {}
        for p in stack_set["Parameters"]:
            value = p["ParameterValue"]
            if isinstance(value, dict) and "Ref" in value:
                value = params[value["Ref"]]
            elif isinstance(value, dict):  # the execution role's ARN
                value = f"arn:aws:iam::{ACCOUNT}:role/{STACK}-ReconcilerFunctionRole-EXAMPLE"
            member_given[p["ParameterKey"]] = value
        out[f"member-role.{config}.json"], _ = render(member, member_given)
    return out


# ------------------------------------------------------------------------------------------------
# Placeholders for intrinsics, shaped like what they stand for
# ------------------------------------------------------------------------------------------------
def physical_name(logical: str) -> str:
    return f"{STACK}-{logical}"


def ref_value(template: dict, name: str) -> str:
    if name in PSEUDO:
        return PSEUDO[name]
    params = template.get("Parameters", {})
    if name in params:
        return str(params[name]["Default"])
    rtype = template["Resources"][name]["Type"]
    n = physical_name(name)
    return {
        "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{n}",
        "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{n}",
    }.get(rtype, n)


def attribute_value(template: dict, name: str, attribute: str) -> str:
    rtype = template["Resources"][name]["Type"]
    n = physical_name(name)
    arns = {
        "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{n}",
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{n}",
        "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{n}",
        "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{n}",
        "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{n}",
        "AWS::Scheduler::ScheduleGroup": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{n}",
        "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{n}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{n}:*",
    }
    if attribute == "Arn" and rtype in arns:
        return arns[rtype]
    if attribute == "QueueName":
        return n
    return f"{n}-{attribute}"


def resolve(value, template: dict):
    """`value` with every intrinsic replaced by a placeholder string."""
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return ref_value(template, arg)
        if key == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return attribute_value(template, name, attribute)
        if key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

            def one(match):
                name = match.group(1)
                if name in local:
                    return str(resolve(local[name], template))
                if "." in name:
                    return attribute_value(template, *name.split(".", 1))
                return ref_value(template, name)

            return re.sub(r"\$\{([^}!]+)\}", one, text)
        if key == "Fn::Join":
            sep, items = arg
            return sep.join(str(resolve(i, template)) for i in items)
        if key == "Fn::Select":
            index, items = arg
            return resolve(items, template)[int(index)]
        if key == "Fn::Split":
            sep, text = arg
            return str(resolve(text, template)).split(sep)
        if key.startswith("Fn::"):
            raise SystemExit(f"no placeholder for {key}: {value}")
    return {k: resolve(v, template) for k, v in value.items()}


def policy_documents(template: dict):
    """(where, document) for every IAM policy document of a rendered, transformed template."""
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        rtype = resource["Type"]
        if rtype == "AWS::IAM::Role":
            yield f"{name} trust policy", props["AssumeRolePolicyDocument"]
            for policy in props.get("Policies", []):
                yield f"{name} {policy['PolicyName']}", policy["PolicyDocument"]
        elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield name, props["PolicyDocument"]
        elif rtype in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield name, props["PolicyDocument"]
        elif rtype.startswith("AWS::Serverless::"):
            raise SystemExit(f"{name}: not transformed")


# What parliament's community auditors report because of what the reconciler is for, each allowed
# for exactly the named actions in the named policy; any other finding fails the scan. (Parliament's
# own auditors have no exception at all.)
EXPECTED = {
    # The function enters member accounts with sts:AssumeRole, which returns credentials: on the
    # member role's name only, with a session name carrying the request id, and (unless departed
    # accounts must be reached) only in the organization's accounts.
    ("ReconcilerFunctionRole ReconcilerFunctionRolePolicy0", "CREDENTIALS_EXPOSURE"): {"sts:assumerole"},
    # Creating and deleting the Marketplace service-linked role is the product's purpose; both are
    # granted on that one role's ARN, creation only for the Marketplace service principal.
    ("ReconcilerFunctionRole ReconcilerFunctionRolePolicy0", "PERMISSIONS_MANAGEMENT_ACTIONS"): {
        "iam:createservicelinkedrole",
        "iam:deleteservicelinkedrole",
    },
    ("MemberRole marketplace-license-management-service-linked-role", "PERMISSIONS_MANAGEMENT_ACTIONS"): {
        "iam:createservicelinkedrole",
        "iam:deleteservicelinkedrole",
    },
}


def lintable(where: str, document: dict, template: dict, role: str | None) -> dict:
    """The document parliament can read. A trust policy has no Resource: its resource is the role
    itself, so each statement is given the role's ARN, and parliament then checks the action and
    the condition keys against sts:AssumeRole on a role."""
    if role is None:
        return document
    document = copy.deepcopy(document)
    statements = document["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        statement.setdefault("Resource", attribute_value(template, role, "Arn"))
    return document


def lint_policies(templates: dict[str, dict]) -> int:
    from parliament import analyze_policy_string

    findings = allowed = documents = 0
    for file, template in templates.items():
        for where, document in policy_documents(template):
            documents += 1
            role = where.removesuffix(" trust policy") if where.endswith(" trust policy") else None
            resolved = resolve(lintable(where, document, template, role), template)
            # The community auditors judge what a policy grants its holder; a trust policy grants
            # nothing but sts:AssumeRole to its principal, which they would always flag.
            policy = analyze_policy_string(json.dumps(resolved), include_community_auditors=role is None)
            for finding in policy.findings:
                actions = set((finding.location or {}).get("actions", []))
                expected = EXPECTED.get((where, finding.issue))
                if expected is not None and actions and actions <= expected:
                    allowed += 1
                    continue
                findings += 1
                print(
                    f"{file}: {where}: {finding.severity} {finding.issue}: {finding.detail} "
                    f"{finding.location}\n  {json.dumps(resolved)}"
                )
    print(
        f"parliament: {documents} policy documents, {findings} findings "
        f"({allowed} expected community-auditor findings allowed, see EXPECTED)"
    )
    return findings


def main() -> None:
    command, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    templates = rendered_templates()
    if command == "render":
        for file, template in templates.items():
            (out_dir / file).write_text(json.dumps(template, indent=1))
        print(f"rendered {len(templates)} templates into {out_dir}")
    elif command == "policies":
        sys.exit(1 if lint_policies(templates) else 0)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
