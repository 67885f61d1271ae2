"""Run moto's server with the corrections this project's integration tests rely on.

moto (the Python package ``moto[server]``) emulates IAM, STS and Organizations well enough for the tests, except where
it is more lenient or simpler than AWS for the Marketplace service-linked role. Each correction below names
the AWS behaviour it reproduces; everything else is moto as released.

Usage: ``python launcher.py [--port N] [--stop-on-stdin-eof]`` (default port 0: pick a free one). Once listening it prints one line,
``READY http://127.0.0.1:<port>``, on stdout. SIGTERM stops it.

Besides the AWS APIs, it serves two test-only endpoints (plain HTTP, no signature):

- ``POST /_emulator/recording/start`` clears the record and starts recording;
- ``GET /_emulator/recording`` returns one ``service:Action`` line per AWS request received since.

A test acts as any account by sending moto's own ``x-moto-account-id`` header; see tests/it/common/mod.rs.

moto's own ``POST /moto-api/reset-auth`` (body: a number, ``0`` to check every request from now on, ``inf``
to check none) turns IAM enforcement on and off; corrections (g) to (k) make it judge the requests the
reconciler sends the way AWS does. tests/it/least_privilege.rs relies on each of them.
"""

import argparse
import io
import json
import logging
import os
import re
import signal
import sys
import threading
import uuid
from functools import cache
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from moto.core.exceptions import AccessDeniedError, InvalidClientTokenIdError, SignatureDoesNotMatchError
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.access_control import IAMPolicy, IAMRequestBase
from moto.iam.exceptions import InvalidInput, NotFoundException
from moto.iam.models import AWSManagedPolicy, IAMBackend, iam_backends
from moto.iam.policy_conditions import CONDITION_OPERATIONS, TrustCondition
from moto.iam.responses import IamResponse
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.dynamodb.responses import DynamoHandler
from moto.organizations.models import FakeDelegatedAdministrator, OrganizationsBackend, organizations_backends
from moto.organizations.responses import OrganizationsResponse
from moto.sns.responses import SNSResponse
from moto.sts.responses import TokenResponse

# AWS gives this service-linked role a fixed name and an AWS managed policy; moto derives the name from the
# principal ("AWSServiceRoleFormarketplace_LicenseManagement") and attaches nothing.
SERVICE_LINKED_ROLES = {
    "license-management.marketplace.amazonaws.com": (
        "AWSServiceRoleForMarketplaceLicenseManagement",
        "AWSMarketplaceLicenseManagementServiceRolePolicy",
    ),
}

moto_create_role = IAMBackend.create_role
moto_create_service_linked_role = IAMBackend.create_service_linked_role
moto_assume_role = TokenResponse.assume_role
moto_create_account = OrganizationsBackend.create_account
moto_call_action = BaseResponse.call_action
moto_iam_resource = IamResponse._determine_resource
moto_check_action_permitted = IAMRequestBase.check_action_permitted
moto_is_action_permitted = IAMPolicy.is_action_permitted
moto_verify_condition = TrustCondition.verify_condition
moto_authorize = BaseResponse._authenticate_and_authorize_normal_action
moto_setup_class = BaseResponse.setup_class


@cache
def managed_policy_data(name):
    # moto ships every AWS managed policy but loads them only with MOTO_IAM_LOAD_MANAGED_POLICIES=true,
    # which costs every account's IAM backend the whole list; take just the ones needed, when needed.
    return json.loads(aws_managed_policies_data)[name]


# (a) CreateServiceLinkedRole creates the role under the name AWS uses and attaches its managed policy.
def create_service_linked_role(self, service_name, description, suffix):
    if service_name not in SERVICE_LINKED_ROLES:
        return moto_create_service_linked_role(self, service_name, description, suffix)
    role_name, policy_name = SERVICE_LINKED_ROLES[service_name]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service_name},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = self.create_role(
        role_name,
        json.dumps(trust),
        f"/aws-service-role/{service_name}/",
        permissions_boundary=None,
        description=description,
        tags=[],
        max_session_duration="3600",
        linked_service=service_name,
    )
    policy = AWSManagedPolicy.from_data(
        policy_name, self.account_id, self.region_name, managed_policy_data(policy_name)
    )
    policy = self.managed_policies.setdefault(policy.arn, policy)
    policy.attach_to(role)
    return role


# (b) A service-linked role that already exists answers 400 InvalidInput "has been taken", not
# EntityAlreadyExists (which AWS keeps for CreateRole). Applies to every service-linked role.
def create_role(self, role_name, *args, linked_service=None, **kwargs):
    if linked_service and any(role.name == role_name for role in self.get_roles()):
        raise InvalidInput(
            f"Service role name {role_name} has been taken in this account, "
            "please try a different suffix."
        )
    return moto_create_role(self, role_name, *args, linked_service=linked_service, **kwargs)


# (c) DeleteServiceLinkedRole only starts a deletion task, with an id shaped like AWS's
# "task/aws-service-role/<service>/<role>/<uuid>"; the role stays until the task completes. Here the task
# reports IN_PROGRESS on its first status poll and completes (deletes the role, SUCCEEDED) on the next.
# Tasks live on the account's IAM backend, so /moto-api/reset forgets them too.
def deletion_tasks(backend):
    return backend.__dict__.setdefault("slr_deletion_tasks", {})


def delete_service_linked_role(self, role_name):
    role = self.get_role(role_name)  # NoSuchEntity, as AWS, when there is no such role
    service = role._linked_service or "unknown"
    task_id = f"task/aws-service-role/{service}/{role_name}/{uuid.uuid4()}"
    deletion_tasks(self)[task_id] = {"role": role_name, "status": "NOT_STARTED"}
    return task_id


deletion_lock = threading.Lock()  # the server is threaded; one poll advances a task at a time


def get_service_linked_role_deletion_status(self):
    task_id = self._get_param("DeletionTaskId")
    with deletion_lock:
        task = deletion_tasks(self.backend).get(task_id)
        if task is None:
            raise NotFoundException(f"Deletion task {task_id} not found.")
        if task["status"] == "NOT_STARTED":
            task["status"] = "IN_PROGRESS"
        elif task["status"] == "IN_PROGRESS":
            for role in self.backend.get_roles():
                if role.name == task["role"]:
                    for policy in list(role.managed_policies.values()):
                        policy.detach_from(role)
                    self.backend.delete_role(role.name)
                    break
            task["status"] = "SUCCEEDED"
        return ActionResult({"Status": task["status"]})


# (d) AssumeRole into a role that does not exist in the target account is denied with 403 AccessDenied
# (moto hands out credentials for any ARN). The role is looked up by name; trust policies are not evaluated.
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")


def assume_role(self):
    role_arn = self._get_param("RoleArn") or ""
    match = ROLE_ARN.match(role_arn)
    exists = match is not None and any(
        role.name == match.group(2) for role in iam_backends[match.group(1)]["aws"].get_roles()
    )
    if exists:
        return moto_assume_role(self)
    _, caller_arn, _ = self.backend.get_caller_identity(self.get_access_key(), self.region)
    message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    # STS's model has no AccessDenied shape, so moto could not give it its 403; answer it directly.
    return body, {"status": 403, "Content-Type": "text/xml"}


# (e) CreateAccount makes OrganizationAccountAccessRole in the new account with full administrator rights
# (AWS puts them in an inline policy named AdministratorAccess). moto creates the role, trusting the
# management account, but gives it no permissions.
ADMINISTRATOR_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def create_account(self, **kwargs):
    status = moto_create_account(self, **kwargs)
    account_id = status["CreateAccountStatus"]["AccountId"]
    role_name = kwargs.get("RoleName") or "OrganizationAccountAccessRole"
    iam_backends[account_id]["aws"].put_role_policy(role_name, "AdministratorAccess", ADMINISTRATOR_ACCESS)
    return status


# (n) moto accepts a delegated administrator for six service principals only. AWS's list of the services
# that work with Organizations ("AWS services that you can use with AWS Organizations", Organizations
# User Guide) says, service by service, whether it supports a delegated administrator; the project's
# catalog records that column (`delegated_admin`, src/catalog/services.toml). Every principal of an
# entry that supports one is accepted, as AWS accepts it; the others are refused as moto refuses them.
def catalog_delegated_admin_principals():
    import tomllib

    path = os.path.join(os.path.dirname(__file__), "..", "..", "src", "catalog", "services.toml")
    with open(path, "rb") as catalog:
        services = tomllib.load(catalog)["service"]
    return [p for s in services if s.get("delegated_admin") for p in s["principals"]]


# (f) Nothing to correct: CloseAccount already leaves the account SUSPENDED in ListAccounts (AWS passes
# through PENDING_CLOSURE first).

# (g) With enforcement on, moto authorizes a request against the ARN of the resource it acts on only for
# IAM requests naming an existing role (RoleName), sts:AssumeRole, SQS and S3; every other request is checked
# against resource "*", which no statement scoped to an ARN matches. AWS authorizes these requests against
# the ARN of their resource type (Service Authorization Reference):
# - iam:CreateServiceLinkedRole: the role it would create, aws-service-role/<service>/<role name>;
# - iam:GetServiceLinkedRoleDeletionStatus: the role being deleted, whose path and name the task id carries;
# - iam:GetRole and iam:DeleteServiceLinkedRole naming a missing service-linked role: the ARN that role has
#   when it exists. (moto has no ARN for a missing role. How AWS builds one is not documented; AWS's own
#   managed policies scope existence checks, iam:GetRole, to service-linked role ARNs with their path.)
# - sns:Publish: the topic; organizations:DescribeAccount: account/<organization id>/<account id>;
# - dynamodb:GetItem, PutItem, UpdateItem: the table the request names;
# - securityhub:BatchImportFindings: the product each finding names in ProductArn, every one of them (the
#   caller's default product when no finding names one); see (o).
def role_arn(partition, account_id, path_and_name):
    return f"arn:{partition}:iam::{account_id}:role/{path_and_name}"


def iam_resource(self):
    def param(name):
        return (self.querystring.get(name) or [None])[0]

    action = self._get_action()
    if action == "CreateServiceLinkedRole" and param("AWSServiceName") in SERVICE_LINKED_ROLES:
        service = param("AWSServiceName")
        name = SERVICE_LINKED_ROLES[service][0]
        return role_arn(self.partition, self.current_account, f"aws-service-role/{service}/{name}")
    if action == "GetServiceLinkedRoleDeletionStatus":
        task = re.match(r"^task/(aws-service-role/[^/]+/[^/]+)/[^/]+$", param("DeletionTaskId") or "")
        if task:
            return role_arn(self.partition, self.current_account, task.group(1))
    resource = moto_iam_resource(self)
    if resource == "*" and action in ("GetRole", "DeleteServiceLinkedRole"):
        for service, (name, _) in SERVICE_LINKED_ROLES.items():
            if param("RoleName") == name:
                return role_arn(self.partition, self.current_account, f"aws-service-role/{service}/{name}")
    return resource


def sns_resource(self):
    if self._get_action() == "Publish":
        return (self.querystring.get("TopicArn") or ["*"])[0]
    return "*"


def dynamodb_resource(self):
    # moto authorizes every DynamoDB request on "*"; AWS on the table the request names.
    table = (self.body or {}).get("TableName") if isinstance(self.body, dict) else None
    if table:
        return f"arn:{self.partition}:dynamodb:{self.region}:{self.current_account}:table/{table}"
    return "*"


def organizations_resource(self):
    org = self.organizations_backend.org
    if self._get_action() in ("DescribeAccount", "ListDelegatedServicesForAccount") and org is not None:
        account_id = json.loads(self.body or "{}").get("AccountId", "")
        return f"arn:{self.partition}:organizations::{org.master_account_id}:account/{org.id}/{account_id}"
    return "*"


def securityhub_resource(self):
    if self._get_action() == "BatchImportFindings":
        return import_product_arns(self.body, self.partition, self.region, self.current_account)[0]
    return "*"


def import_product_arns(body, partition, region, account_id):
    """The distinct ProductArns of a BatchImportFindings body, or the caller's default product if none."""
    try:
        findings = json.loads(body or "{}").get("Findings")
    except (ValueError, AttributeError):
        findings = None
    if not isinstance(findings, list):
        findings = []
    arns = dict.fromkeys(f.get("ProductArn") for f in findings if isinstance(f, dict))
    arns = [arn for arn in arns if isinstance(arn, str) and arn]
    return arns or [default_product_arn(partition, region, account_id)]


# (h) moto evaluates the Condition of an identity policy without any request context: a condition key the
# request does not supply counts as satisfied, so `iam:AWSServiceName` is never checked. Here
# CreateServiceLinkedRole supplies `iam:AWSServiceName` (the request's AWSServiceName), sts:AssumeRole
# supplies `aws:ResourceOrgID` (the organization of the account that owns the role), and a StringEquals
# on a key absent from the request fails, as in AWS. moto still evaluates no other operator (it ignores
# them), and a failing condition makes it deny the request outright, where AWS only sets that statement
# aside (the same answer unless another statement allows the action).
request_context = threading.local()


def resource_org_id(account_id):
    """The id of the organization `account_id` belongs to, or None."""
    for per_account in list(organizations_backends.values()):
        for backend in list(per_account.values()):
            org = backend.org
            if org and (org.master_account_id == account_id or any(a.id == account_id for a in backend.accounts)):
                return org.id
    return None


# (k) moto authorizes TransactWriteItems as an action of its own, dynamodb:TransactWriteItems, which IAM
# does not have: AWS authorizes each Put, Update and Delete of a transaction as the PutItem, UpdateItem and
# DeleteItem it performs, and each ConditionCheck as ConditionCheckItem, on the table it names ("Using IAM
# with DynamoDB transactions", DynamoDB Developer Guide).
TRANSACTION_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


def check_transaction_permitted(self):
    body = json.loads(self._body or "{}") if isinstance(self._body, (str, bytes)) else {}
    partition = "aws-cn" if self._region.startswith("cn-") else "aws"
    for entry in body.get("TransactItems", []):
        for kind, action in TRANSACTION_ACTIONS.items():
            if kind in entry:
                self._action = f"dynamodb:{action}"
                table = entry[kind].get("TableName", "")
                check_action_permitted(
                    self, f"arn:{partition}:dynamodb:{self._region}:{self.account_id}:table/{table}"
                )
    self._action = "dynamodb:TransactWriteItems"


def check_action_permitted(self, resource):
    if self._action == "dynamodb:TransactWriteItems":
        return check_transaction_permitted(self)
    resources = [resource]
    if self._action == "securityhub:BatchImportFindings":
        partition = "aws-cn" if self._region.startswith("cn-") else "aws"
        resources = import_product_arns(self._body, partition, self._region, self.account_id)
    context = {}
    if self._action == "iam:CreateServiceLinkedRole":
        context["iam:AWSServiceName"] = (self._data.get("AWSServiceName") or [""])[0]
    if self._action == "sts:AssumeRole":
        # aws:ResourceOrgID: the organization of the account that owns the role; absent outside one.
        parts = resource.split(":")
        org_id = resource_org_id(parts[4]) if len(parts) > 5 else None
        if org_id:
            context["aws:ResourceOrgID"] = org_id
    request_context.values = context
    try:
        for resource in resources:
            moto_check_action_permitted(self, resource)
    finally:
        request_context.values = None


def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    if incoming_condition_values is None:  # an identity policy: moto passes no context
        incoming_condition_values = getattr(request_context, "values", None)
    return moto_is_action_permitted(self, action, resource, principal, incoming_condition_values)


def verify_condition(self, actual_values):
    if self._condition in CONDITION_OPERATIONS and len(actual_values) < len(self.context_keys):
        return False  # a key the request does not supply matches no StringEquals
    return moto_verify_condition(self, actual_values)


# (i) moto refuses a request in one XML shape for every service, <ErrorResponse><Errors><Error>, which SDKs
# cannot read as an error code: query-protocol services (IAM, STS, SNS) answer <ErrorResponse><Error>, and
# JSON-protocol ones (Organizations) a JSON body with "__type", and REST-JSON ones (Security Hub) 403 with
# the code both in the x-amzn-ErrorType header and in the body's "__type" (SDKs read it from either), the
# body shaped as Security Hub's errors are ("__type", "Code", "Message"). The codes are AWS's: AccessDenied
# (IAM, STS), AuthorizationError (SNS), AccessDeniedException (JSON and REST-JSON services). moto's message
# is kept: it names the caller and the action, as AWS's do (Organizations words its own differently).
class Refused(HTTPException):
    def __init__(self, status, body):
        super().__init__(description=body)
        self.code = status


def authenticate_and_authorize(self, resource="*"):
    try:
        moto_authorize(self, resource)
    except (AccessDeniedError, SignatureDoesNotMatchError, InvalidClientTokenIdError) as refused:
        code, message = refused.error_type, refused.message
        if self.headers.get("X-Amz-Target"):
            if code == "AccessDenied":
                code = "AccessDeniedException"
            raise Refused(400, json.dumps({"__type": code, "message": message})) from None
        if get_service_model(self.boto3_service_name).protocol == "rest-json":
            if code == "AccessDenied":
                code = "AccessDeniedException"
            # call_action answers a refusal with these headers, the refusal's status and its description.
            self.response_headers.update({"x-amzn-ErrorType": code, "Content-Type": "application/json"})
            raise Refused(403, json.dumps({"__type": code, "Code": code, "Message": message})) from None
        if code == "AccessDenied" and self.service_name == "sns":
            code = "AuthorizationError"
        raise Refused(
            403,
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
        ) from None


# (j) To check a signature, moto signs the request body again, but a form-encoded body (every query-protocol
# request) has already been consumed into the form by then, so moto re-encodes the parameters itself, and
# the signature matches only if the client encoded them byte for byte as botocore does (the Rust SDK's
# encoding of an SNS message differs). AWS checks the body as sent: keep its bytes and give them to the check.
RAW_BODY = "emulator.raw_body"


def keeping_raw_body(app):
    def wsgi(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            raw = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(raw)
            environ[RAW_BODY] = raw
        return app(environ, start_response)

    return wsgi


def setup_class(self, request, *args, **kwargs):
    moto_setup_class(self, request, *args, **kwargs)
    if not self.raw_body and request.environ.get(RAW_BODY):
        self.raw_body = request.environ[RAW_BODY]


# (l) moto runs a TransactWriteItems without isolation: it copies the table, applies the items one by
# one, and on a failed condition puts the copy back, erasing what another request wrote meanwhile. DynamoDB
# isolates a transaction from every other write ("Amazon DynamoDB Transactions: How it works", section
# "Isolation levels for DynamoDB transactions", DynamoDB
# Developer Guide): two invocations storing the same outbox at once see one stored and one refused, never
# both gone, and a read sees a transaction whole or not at all. Every write and read of the DynamoDB
# backend is made under one lock, as if serialized.
from moto.dynamodb.models import DynamoDBBackend

dynamodb_write_lock = threading.RLock()


def serialized(method):
    def write(self, *args, **kwargs):
        with dynamodb_write_lock:
            return method(self, *args, **kwargs)

    return write


for name in ("transact_write_items", "put_item", "update_item", "delete_item", "get_item", "query", "scan"):
    setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))


# (m) moto leaves events:TestEventPattern unimplemented (it answers nothing). AWS documents it in the
# EventBridge API Reference ("TestEventPattern"): a JSON request with `EventPattern` and `Event`, both
# strings, and the answer `{"Result": <boolean>}`; the event must hold the fields id, account, source,
# time, region, resources and detail-type, and a pattern that is not valid is refused with
# InvalidEventPatternException. The answer here is moto's own matcher, the one its rules deliver with;
# an event without a mandatory field is refused with ValidationException (one of the API's common
# errors: the page names the fields mandatory, not the error).
from moto.core.exceptions import JsonRESTError
from moto.events.models import EventPattern
from moto.events.responses import EventsHandler

MANDATORY_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def test_event_pattern(self):
    pattern = EventPattern.load(self._get_param("EventPattern"))
    try:
        event = json.loads(self._get_param("Event") or "")
    except ValueError:
        raise JsonRESTError("ValidationException", "Event is not valid JSON")
    missing = [field for field in MANDATORY_EVENT_FIELDS if not isinstance(event, dict) or field not in event]
    if missing:
        raise JsonRESTError("ValidationException", f"Event lacks the mandatory fields {missing}")
    return json.dumps({"Result": pattern.matches_event(event)})


# (p) moto has no resource-based delegation policy: PutResourcePolicy, DescribeResourcePolicy and
# DeleteResourcePolicy answer nothing. The AWS Organizations API Reference documents them:
# - PutResourcePolicy takes `Content` (1 to 40,000 characters, policy JSON) and creates or replaces the
#   organization's one policy; DescribeResourcePolicy returns it; DeleteResourcePolicy removes it. Each
#   answers {"ResourcePolicy": {"Content", "ResourcePolicySummary": {"Id", "Arn"}}}, except the delete,
#   whose answer is empty. The Arn follows the reference's pattern,
#   arn:<partition>:organizations::<management account>:resourcepolicy/<org id>/rp-<id>.
# - Describe and Delete with no policy answer 400 ResourcePolicyNotFoundException, with the message the
#   reference gives; Content that is not JSON is refused with InvalidInputException (the reference says
#   it must be well-formed JSON; the reason code is the emulator's choice), and Content over 40,000
#   characters with ConstraintViolationException (reason POLICY_CONTENT_LIMIT_EXCEEDED).
# - Only the management account may put or delete it (a member gets AccessDeniedException); a member
#   may describe it (the reference allows a delegated administrator to; the emulator does not check
#   which member); an account outside any organization gets AWSOrganizationsNotInUseException.
# - Not corrected: since 30 June 2026 AWS rejects a new or updated policy with `NotAction` or
#   `NotResource` (the Organizations User Guide, "Create a resource-based delegation policy"), while
#   one stored before keeps working. The emulator still accepts them, so that a test can stand for
#   such a stored policy.
# The policy lives on the management account's backend, so /moto-api/reset forgets it.
from moto.organizations.exceptions import (
    AWSOrganizationsNotInUseException,
    ConstraintViolationException,
    InvalidInputException,
    OrganizationsClientError,
)

MAX_RESOURCE_POLICY_CHARACTERS = 40_000


class ResourcePolicyNotFoundException(OrganizationsClientError):
    def __init__(self):
        super().__init__(
            "ResourcePolicyNotFoundException",
            "We can't find a resource policy request with the parameter that you specified.",
        )


class OrganizationsAccessDenied(OrganizationsClientError):
    def __init__(self):
        super().__init__(
            "AccessDeniedException", "You don't have permissions to perform the requested operation."
        )


def delegation_policy_backend(self, management_only):
    """The management account's backend and organization, for the caller's organization."""
    backend = self.organizations_backend
    if backend.org is None and self.current_account in organizations_backends.master_accounts:
        management, partition = organizations_backends.master_accounts[self.current_account]
        backend = organizations_backends[management][partition]
    org = backend.org
    if org is None:
        raise AWSOrganizationsNotInUseException()
    if management_only and self.current_account != org.master_account_id:
        raise OrganizationsAccessDenied()
    return backend, org


def resource_policy_answer(policy):
    return json.dumps({"ResourcePolicy": policy})


def put_resource_policy(self):
    backend, org = delegation_policy_backend(self, management_only=True)
    content = self._get_param("Content")
    if not isinstance(content, str) or not content:
        raise InvalidInputException("You provided a value that does not match the required pattern.")
    if len(content) > MAX_RESOURCE_POLICY_CHARACTERS:
        raise ConstraintViolationException(
            "You attempted to create a policy that is larger than the maximum size. "
            "(POLICY_CONTENT_LIMIT_EXCEEDED)"
        )
    try:
        json.loads(content)
    except ValueError:
        raise InvalidInputException("The provided policy document does not meet the requirements.")
    existing = getattr(backend, "delegation_policy", None)
    policy_id = existing["ResourcePolicySummary"]["Id"] if existing else "rp-" + uuid.uuid4().hex[:8]
    backend.delegation_policy = {
        "Content": content,
        "ResourcePolicySummary": {
            "Id": policy_id,
            "Arn": f"arn:{self.partition}:organizations::{org.master_account_id}:resourcepolicy/{org.id}/{policy_id}",
        },
    }
    return resource_policy_answer(backend.delegation_policy)


def describe_resource_policy(self):
    backend, _ = delegation_policy_backend(self, management_only=False)
    policy = getattr(backend, "delegation_policy", None)
    if policy is None:
        raise ResourcePolicyNotFoundException()
    return resource_policy_answer(policy)


def delete_resource_policy(self):
    backend, _ = delegation_policy_backend(self, management_only=True)
    if getattr(backend, "delegation_policy", None) is None:
        raise ResourcePolicyNotFoundException()
    backend.delegation_policy = None
    return "{}"


# (o) Security Hub CSPM's BatchImportFindings (API Reference, and "BatchImportFindings for finding
# providers" and "Required top-level ASFF attributes", User Guide). moto imports whatever it is sent, even
# into an account that has not enabled Security Hub, and merges a finding sent again into the stored one.
# - An account that has not enabled Security Hub is refused: 401 InvalidAccessException, which the API
#   Reference lists among the call's errors, in moto's own Security Hub error shape (x-amzn-ErrorType;
#   "__type", "Code", "Message"). The User Guide also describes the findings of such an account coming back
#   in FailedFindings with InvalidAccess; the function reads both answers the same way.
# - A batch is at most 100 findings (at least one): any other is refused whole, 400 InvalidInputException.
# - Each finding is judged on its own; one refused is listed in FailedFindings, the others are imported:
#   - without one of the required top-level attributes (Severity and Types may come in
#     FindingProviderFields instead): InvalidInput;
#   - over 240 KB (240 * 1024 bytes as compact JSON): InvalidInput;
#   - for a product other than the caller's default one, arn:<partition>:securityhub:<region>:<account>:
#     product/<account>/default (moto knows no product integrations to enable), or, with it, for an
#     AwsAccountId other than the caller's: AccessDeniedException.
#   AWS documents the refusals but not their ErrorCode: InvalidInput and AccessDeniedException are the
#   emulator's choice, and the function reports whatever code it is given.
# - A finding sent again (same Id) replaces the stored one whole, except Note, UserDefinedFields,
#   VerificationState and Workflow, which BatchImportFindings cannot change once the finding exists.
# Findings stay per account and Region, as moto keeps them; GetFindings returns them.
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse

MAX_IMPORTED_FINDINGS = 100
MAX_FINDING_BYTES = 240 * 1024
REQUIRED_FINDING_ATTRIBUTES = (
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
    "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
)
FROM_PROVIDER_FIELDS = ("Severity", "Types")
KEPT_ON_UPDATE = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
findings_lock = threading.Lock()


def default_product_arn(partition, region, account_id):
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


def import_refusal(backend, finding):
    """Why `finding` cannot be imported into `backend`'s account: (ErrorCode, ErrorMessage), or None."""
    if not isinstance(finding, dict):
        return "InvalidInput", "A finding must be a JSON object in the AWS Security Finding Format."
    provided = finding.get("FindingProviderFields")
    provided = provided if isinstance(provided, dict) else {}
    for name in REQUIRED_FINDING_ATTRIBUTES:
        missing = finding.get(name) in (None, "", [], {})
        if missing and not (name in FROM_PROVIDER_FIELDS and provided.get(name)):
            return "InvalidInput", f"The finding lacks {name}, which the Security Finding Format requires."
    size = len(json.dumps(finding, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_FINDING_BYTES:
        return "InvalidInput", f"The finding takes {size} bytes, over the {MAX_FINDING_BYTES} allowed."
    account = backend.account_id
    product = default_product_arn(backend.partition, backend.region_name, account)
    if finding["ProductArn"] != product:
        return "AccessDeniedException", (
            f"Account {account} cannot import findings for product {finding['ProductArn']}; "
            f"the one product it can import for is {product}."
        )
    if finding["AwsAccountId"] != account:
        return "AccessDeniedException", (
            f"Account {account} cannot import findings for account {finding['AwsAccountId']} "
            "with its default product."
        )
    return None


def batch_import_findings(self, findings):
    if not self.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException", f"Account {self.account_id} is not subscribed to AWS Security Hub"
        )
    if not isinstance(findings, list) or not 1 <= len(findings) <= MAX_IMPORTED_FINDINGS:
        count = len(findings) if isinstance(findings, list) else 0
        raise SecurityHubClientError(
            "InvalidInputException",
            f"A request imports from 1 to {MAX_IMPORTED_FINDINGS} findings; this one has {count}.",
        )
    failed = []
    with findings_lock:
        for finding in findings:
            refusal = import_refusal(self, finding)
            if refusal:
                finding_id = finding.get("Id") if isinstance(finding, dict) else None
                failed.append({"Id": finding_id if isinstance(finding_id, str) else "",
                               "ErrorCode": refusal[0], "ErrorMessage": refusal[1]})
                continue
            stored = next((f for f in self.findings if f.id == finding["Id"]), None)
            if stored is None:
                self.findings.append(Finding(finding["Id"], finding))
            else:
                kept = {name: stored.data[name] for name in KEPT_ON_UPDATE if name in stored.data}
                stored.data = {name: value for name, value in finding.items() if name not in KEPT_ON_UPDATE}
                stored.data.update(kept)
    return len(failed), len(findings) - len(failed), failed


# Test-only request recording: which (service, action) each AWS request asked for, before it runs.
# (moto's own /moto-api/recorder works in server mode too, but writes whole raw requests, bodies in
# base64, to a file; the tests only need the actions.)
recording = {"on": False, "actions": []}
recording_lock = threading.Lock()


def call_action(self):
    with recording_lock:
        if recording["on"]:
            recording["actions"].append(f"{self.service_name}:{self._get_action()}")
    return moto_call_action(self)


def with_recording_endpoints(app):
    def wsgi(environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/_emulator/recording/start" and method == "POST":
            with recording_lock:
                recording.update(on=True, actions=[])
            body = b""
        elif path == "/_emulator/recording" and method == "GET":
            with recording_lock:
                body = "".join(f"{action}\n" for action in recording["actions"]).encode()
        else:
            return app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="exit when standard input closes (when the test process that started it has exited)",
    )
    args = parser.parse_args()
    if args.stop_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

    IAMBackend.create_service_linked_role = create_service_linked_role
    IAMBackend.create_role = create_role
    IAMBackend.delete_service_linked_role = delete_service_linked_role
    IamResponse.get_service_linked_role_deletion_status = get_service_linked_role_deletion_status
    TokenResponse.assume_role = assume_role
    EventsHandler.test_event_pattern = test_event_pattern
    FakeDelegatedAdministrator.SUPPORTED_SERVICES = sorted(
        set(FakeDelegatedAdministrator.SUPPORTED_SERVICES) | set(catalog_delegated_admin_principals())
    )
    OrganizationsBackend.create_account = create_account
    OrganizationsResponse.put_resource_policy = put_resource_policy
    OrganizationsResponse.describe_resource_policy = describe_resource_policy
    OrganizationsResponse.delete_resource_policy = delete_resource_policy
    SecurityHubBackend.batch_import_findings = batch_import_findings
    BaseResponse.call_action = call_action
    IamResponse._determine_resource = iam_resource
    SNSResponse._determine_resource = sns_resource
    OrganizationsResponse._determine_resource = organizations_resource
    DynamoHandler._determine_resource = dynamodb_resource
    SecurityHubResponse._determine_resource = securityhub_resource
    IAMRequestBase.check_action_permitted = check_action_permitted
    IAMPolicy.is_action_permitted = is_action_permitted
    TrustCondition.verify_condition = verify_condition
    BaseResponse._authenticate_and_authorize_normal_action = authenticate_and_authorize
    BaseResponse.setup_class = setup_class

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app = with_recording_endpoints(keeping_raw_body(DomainDispatcherApplication(create_backend_app)))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdout = sys.stderr  # nobody reads stdout after READY; a full pipe must not block the server
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
