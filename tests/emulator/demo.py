"""Seed the emulator with a demo organization, and read back the notifications the function sent.

Used by `make demo`. Talks to the emulator through boto3 (installed with moto) as the management account,
with the endpoint and credentials taken from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).

    python demo.py seed --members 12 --suspended 1   # prints the topic ARN
    python demo.py notifications                     # prints what each audience received
"""

import argparse
import json
import time

import boto3

PRINCIPAL = "license-management.marketplace.amazonaws.com"
AUDIENCES = ["organizations-admin", "marketplace-admin", "account-admin", "service-admin"]


def client(name):
    return boto3.client(name, region_name="us-east-1")


STATE_TABLE = "marketplace-trusted-access-state"


def seed(members, suspended):
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for i in range(members):
        status = org.create_account(AccountName=f"demo-{i + 1:02d}", Email=f"demo-{i + 1:02d}@example.com")
        request = status["CreateAccountStatus"]["Id"]
        for _ in range(50):
            status = org.describe_create_account_status(CreateAccountRequestId=request)["CreateAccountStatus"]
            if status["State"] == "SUCCEEDED":
                break
            time.sleep(0.1)
        ids.append(status["AccountId"])
    for account_id in ids[len(ids) - suspended :]:
        org.close_account(AccountId=account_id)

    # One topic, one queue per audience subscribed with a filter policy, as the template's e-mail
    # subscriptions are.
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="marketplace-trusted-access-handoffs")["TopicArn"]
    for audience in AUDIENCES:
        url = sqs.create_queue(QueueName=f"demo-{audience}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps({"audience": [audience]})},
        )

    # The state table the template deploys: the outbox of each trigger's hand-offs, the sweep's memory
    # and the hand-off ledger.
    client("dynamodb").create_table(
        TableName=STATE_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    # What the administrator did before the event reached the function: enable trusted access with
    # Organizations tools (aws organizations enable-aws-service-access).
    org.enable_aws_service_access(ServicePrincipal=PRINCIPAL)
    print(topic)


def notifications():
    sqs = client("sqs")
    found = 0
    for audience in AUDIENCES:
        url = sqs.get_queue_url(QueueName=f"demo-{audience}")["QueueUrl"]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in received.get("Messages", []):
            envelope = json.loads(message["Body"])
            attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            found += 1
            print(f"=== to {audience} ({json.dumps(attributes, sort_keys=True)})")
            print(f"Subject: {envelope.get('Subject')}\n")
            print(envelope["Message"])
    if found == 0:
        print("(none: nothing in this run called for a hand-off; see the report above)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--members", type=int, default=12)
    seeding.add_argument("--suspended", type=int, default=1)
    commands.add_parser("notifications")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.members, args.suspended)
    else:
        notifications()


if __name__ == "__main__":
    main()
