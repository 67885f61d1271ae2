//! The local AWS emulator shared by the integration tests: moto's server, started through
//! `tests/emulator/launcher.py`, which corrects the answers where moto is more lenient than AWS for the
//! Marketplace service-linked role (see the launcher's comments).
//!
//! A small pool of emulators serves the whole test binary ([`shared`]; two, or `MTA_TEST_EMULATORS`):
//! a test has one to itself for its turn, and each turn starts from a reset emulator with IAM
//! enforcement off. A turn to itself is what lets the least-privilege tests switch the
//! emulator-wide IAM enforcement without disturbing another test; two of them let two tests run at
//! once, since moto answers one request at a time.
//!
//! The Python that runs it comes from `MOTO_PYTHON`, by default `.venv/bin/python` under the crate root;
//! it needs `moto[server]`. When the emulator cannot start, tests panic: they never skip.
//!
//! The code under test reaches member accounts the way it does in AWS, by assuming the member role.
//! The helpers here act as any account directly instead, with moto's `x-moto-account-id` request header
//! ([`Emulator::account_config`]), so a test can seed or inspect an account even after it removed that
//! account's member role.

pub mod pattern;
pub mod policies;
pub mod proxy;
pub mod render;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_iam::error::DisplayErrorContext;
use aws_sdk_organizations::types::{CreateAccountState, OrganizationFeatureSet};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use marketplace_trusted_access::aws::accounts::AccountAccess;
use marketplace_trusted_access::aws::role::DeletionPolling;
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::{App, Invocation, Ports};
use marketplace_trusted_access::service::MARKETPLACE;

/// moto's default account, which the static test credentials map to: the organization's management account.
pub const MANAGEMENT_ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const MARKETPLACE_PRINCIPAL: &str = MARKETPLACE.principal;
pub const MARKETPLACE_ROLE: &str = marketplace_trusted_access::service::MARKETPLACE_ROLE.name;
/// The role Organizations creates in every account made with CreateAccount.
pub const MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// An emulator of this test binary's pool, reset for the caller, who has it alone until the guard
/// drops.
pub struct Shared {
    emulator: &'static Emulator,
    index: usize,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        free()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.index);
    }
}

/// How many emulators the pool holds: `MTA_TEST_EMULATORS`, else two.
fn pool_size() -> usize {
    std::env::var("MTA_TEST_EMULATORS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(2)
}

/// The pool's emulators not in a turn now.
fn free() -> &'static std::sync::Mutex<Vec<usize>> {
    static FREE: std::sync::OnceLock<std::sync::Mutex<Vec<usize>>> = std::sync::OnceLock::new();
    FREE.get_or_init(|| std::sync::Mutex::new((0..pool_size()).collect()))
}

impl std::ops::Deref for Shared {
    type Target = Emulator;
    fn deref(&self) -> &Emulator {
        self.emulator
    }
}

/// Waits for this test's turn at the shared emulator, then resets it (every account, organization,
/// role and topic forgotten; IAM enforcement off).
pub async fn shared() -> Shared {
    static EMULATORS: std::sync::OnceLock<Vec<std::sync::OnceLock<Emulator>>> =
        std::sync::OnceLock::new();
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let turn = TURNS
        .get_or_init(|| tokio::sync::Semaphore::new(pool_size()))
        .acquire()
        .await
        .expect("the pool's semaphore is never closed");
    // A permit guarantees a free emulator.
    let index = free()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .expect("a permit comes with a free emulator");
    let emulators = EMULATORS.get_or_init(|| {
        (0..pool_size())
            .map(|_| std::sync::OnceLock::new())
            .collect()
    });
    let emulator = emulators[index].get_or_init(Emulator::start_blocking);
    emulator.test_endpoint("POST", "/moto-api/reset", "").await;
    emulator.enforce_iam(false).await;
    Shared {
        emulator,
        index,
        _turn: turn,
    }
}

/// An IAM user of the emulator, and its access key.
pub struct IamUser {
    pub arn: String,
    pub key_id: String,
    pub secret: String,
}

/// A running emulator; dropping it kills the process.
pub struct Emulator {
    process: Process,
    endpoint: String,
}

enum Process {
    /// Started by one test, killed when dropped.
    Own(Child),
    /// The shared one: it exits when this test binary does, as its standard input then closes.
    Shared { _stdin: std::process::ChildStdin },
}

/// What [`Emulator::seed_organization`] created.
#[derive(Debug, Clone)]
pub struct OrgFixture {
    pub org_id: String,
    pub management: String,
    /// Member accounts left ACTIVE, in creation order.
    pub active: Vec<String>,
    /// Member accounts closed (SUSPENDED), in creation order.
    pub suspended: Vec<String>,
}

impl Emulator {
    /// Starts tests/emulator/launcher.py on a free port and waits for READY (timeout 30 s).
    /// Panics, with the reason, if it cannot start.
    pub async fn start() -> Emulator {
        let (python, launcher) = launcher_command();
        let mut child = Command::new(&python)
            .arg(&launcher)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} (set MOTO_PYTHON to a Python with moto[server] installed): {e}",
                    python.display()
                )
            });
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = match tokio::time::timeout(READY_TIMEOUT, lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => panic!(
                "the emulator exited before it was ready ({:?}); its stderr is above",
                child.wait().await
            ),
            Ok(Err(e)) => panic!("cannot read the emulator's stdout: {e}"),
            Err(_) => panic!("the emulator was not ready after {READY_TIMEOUT:?}"),
        };
        let endpoint = match line.strip_prefix("READY ") {
            Some(endpoint) => endpoint.to_owned(),
            None => panic!("the emulator printed {line:?} instead of READY <endpoint>"),
        };
        Emulator {
            process: Process::Own(child),
            endpoint,
        }
    }

    /// Starts the emulator shared by the test binary, without a runtime. It is told to stop when its
    /// standard input closes, which the operating system does when this process exits.
    fn start_blocking() -> Emulator {
        use std::io::BufRead;
        let (python, launcher) = launcher_command();
        let mut child = std::process::Command::new(&python)
            .arg(&launcher)
            .args(["--port", "0", "--stop-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} (set MOTO_PYTHON to a Python with moto[server] installed): {e}",
                    python.display()
                )
            });
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("cannot read the emulator's stdout: {e}"));
        let endpoint = match line.trim().strip_prefix("READY ") {
            Some(endpoint) => endpoint.to_owned(),
            None => panic!(
                "the emulator printed {line:?} instead of READY <endpoint> ({:?}); its stderr is above",
                child.try_wait()
            ),
        };
        Emulator {
            process: Process::Shared { _stdin: stdin },
            endpoint,
        }
    }

    /// events:TestEventPattern: whether EventBridge delivers `event` to a rule of `pattern`, as the
    /// emulator answers it (its launcher's correction (m): moto's own matcher). A raw JSON request,
    /// so that the tests need no EventBridge client; the emulator routes it by its credential scope.
    pub async fn test_event_pattern(
        &self,
        pattern: &serde_json::Value,
        event: &serde_json::Value,
    ) -> bool {
        let body = serde_json::json!({
            "EventPattern": pattern.to_string(),
            "Event": event.to_string(),
        })
        .to_string();
        let headers = format!(
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSEvents.TestEventPattern\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIAEMULATORTESTING/20260101/{REGION}/events/aws4_request, SignedHeaders=host, Signature=0\r\n"
        );
        let answer = self.request("POST", "/", &headers, &body).await;
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("a JSON answer");
        answer["Result"]
            .as_bool()
            .unwrap_or_else(|| panic!("no Result: {answer}"))
    }

    /// One Security Hub request as the management account (REST-JSON, routed by its credential
    /// scope; the emulator checks no signature unless IAM is enforced): its status and body.
    async fn security_hub(&self, path: &str, body: &serde_json::Value) -> String {
        let headers = format!(
            "Content-Type: application/json\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIAEMULATORTESTING/20260101/{REGION}/securityhub/aws4_request, SignedHeaders=host, Signature=0\r\n"
        );
        self.request("POST", path, &headers, &body.to_string())
            .await
    }

    /// Enables Security Hub CSPM in the management account (EnableSecurityHub), without its
    /// default standards.
    pub async fn enable_security_hub(&self) {
        let body = serde_json::json!({"EnableDefaultStandards": false});
        self.security_hub("/accounts", &body).await;
    }

    /// Every finding the management account holds (GetFindings, every page), by `Id`.
    pub async fn findings(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut findings = std::collections::BTreeMap::new();
        let mut token = serde_json::Value::Null;
        loop {
            let body = serde_json::json!({"MaxResults": 100, "NextToken": token});
            let page: serde_json::Value =
                serde_json::from_str(&self.security_hub("/findings", &body).await)
                    .expect("a JSON answer");
            for finding in page["Findings"].as_array().expect("Findings") {
                findings.insert(finding["Id"].as_str().unwrap().to_string(), finding.clone());
            }
            token = page["NextToken"].clone();
            if !token.is_string() {
                return findings;
            }
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SdkConfig for the management account: static credentials, us-east-1, endpoint set to the emulator.
    pub fn management_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .http_client(marketplace_trusted_access::aws::http_client())
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIAEMULATORTESTING",
                "emulator-secret",
                None,
                None,
                "emulator",
            )))
            .build()
    }

    /// SdkConfig acting as the given account, for seeding and checking (the code under test assumes
    /// roles instead). Every request carries moto's `x-moto-account-id` header, which moto honours before
    /// the credentials.
    pub async fn account_config(&self, account_id: &str) -> SdkConfig {
        let https = marketplace_trusted_access::aws::http_client();
        self.management_config()
            .into_builder()
            .http_client(ActAsAccount {
                account_id: account_id.to_owned(),
                inner: https,
            })
            .build()
    }

    /// CreateOrganization (ALL features), then `members` CreateAccount calls, each awaited until
    /// SUCCEEDED, then CloseAccount on the last `suspended` of them.
    pub async fn seed_organization(&self, members: usize, suspended: usize) -> OrgFixture {
        assert!(
            suspended <= members,
            "cannot suspend more accounts than members"
        );
        let org = aws_sdk_organizations::Client::new(&self.management_config());
        let created = org
            .create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await
            .or_fail("CreateOrganization");
        let organization = created.organization().expect("CreateOrganization output");
        let org_id = organization.id().expect("organization id").to_owned();
        let management = organization
            .master_account_id()
            .expect("management account id")
            .to_owned();

        let mut active = Vec::with_capacity(members);
        for i in 0..members {
            let request = org
                .create_account()
                .email(format!("member-{i}@example.com"))
                .account_name(format!("member-{i}"))
                .send()
                .await
                .or_fail("CreateAccount");
            let request_id = request
                .create_account_status()
                .and_then(|status| status.id())
                .expect("CreateAccount request id");
            active.push(wait_for_account(&org, request_id).await);
        }
        let suspended = active.split_off(members - suspended);
        for account_id in &suspended {
            org.close_account()
                .account_id(account_id)
                .send()
                .await
                .or_fail("CloseAccount");
        }
        OrgFixture {
            org_id,
            management,
            active,
            suspended,
        }
    }

    /// Enables or disables trusted access for `principal`, as the management account.
    pub async fn set_trusted_access(&self, principal: &str, enabled: bool) {
        let org = aws_sdk_organizations::Client::new(&self.management_config());
        if enabled {
            org.enable_aws_service_access()
                .service_principal(principal)
                .send()
                .await
                .or_fail("EnableAWSServiceAccess");
        } else {
            org.disable_aws_service_access()
                .service_principal(principal)
                .send()
                .await
                .or_fail("DisableAWSServiceAccess");
        }
    }

    /// Creates the state table as the template deploys it: keys `pk` and `sk`, on demand.
    pub async fn create_state_table(&self, name: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("key")
        };
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute")
        };
        aws_sdk_dynamodb::Client::new(&self.management_config())
            .create_table()
            .table_name(name)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .attribute_definitions(attribute("pk"))
            .attribute_definitions(attribute("sk"))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .or_fail("CreateTable");
    }

    /// Whether AWSServiceRoleForMarketplaceLicenseManagement exists in that account (iam:GetRole).
    pub async fn marketplace_role_exists(&self, account_id: &str) -> bool {
        let iam = aws_sdk_iam::Client::new(&self.account_config(account_id).await);
        match iam.get_role().role_name(MARKETPLACE_ROLE).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                false
            }
            Err(e) => panic!("GetRole in {account_id}: {}", DisplayErrorContext(&e)),
        }
    }

    /// Deletes OrganizationAccountAccessRole in that account, with its policies, to simulate a member
    /// account the management account can no longer reach.
    pub async fn delete_member_role(&self, account_id: &str) {
        let iam = aws_sdk_iam::Client::new(&self.account_config(account_id).await);
        let inline = iam
            .list_role_policies()
            .role_name(MEMBER_ROLE)
            .send()
            .await
            .or_fail("ListRolePolicies");
        for name in inline.policy_names() {
            iam.delete_role_policy()
                .role_name(MEMBER_ROLE)
                .policy_name(name)
                .send()
                .await
                .or_fail("DeleteRolePolicy");
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(MEMBER_ROLE)
            .send()
            .await
            .or_fail("ListAttachedRolePolicies");
        for policy in attached.attached_policies() {
            iam.detach_role_policy()
                .role_name(MEMBER_ROLE)
                .set_policy_arn(policy.policy_arn().map(str::to_owned))
                .send()
                .await
                .or_fail("DetachRolePolicy");
        }
        iam.delete_role()
            .role_name(MEMBER_ROLE)
            .send()
            .await
            .or_fail("DeleteRole");
    }

    /// An IAM user of the management account holding `policy` as its only (inline) policy, with an
    /// access key: who a test runs `mta` as under enforcement.
    pub async fn iam_user(&self, name: &str, policy: &serde_json::Value) -> IamUser {
        let iam = aws_sdk_iam::Client::new(&self.management_config());
        let user = iam
            .create_user()
            .user_name(name)
            .send()
            .await
            .or_fail("CreateUser");
        iam.put_user_policy()
            .user_name(name)
            .policy_name("only-this")
            .policy_document(policy.to_string())
            .send()
            .await
            .or_fail("PutUserPolicy");
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .or_fail("CreateAccessKey");
        let key = key.access_key().expect("access key");
        IamUser {
            arn: user.user().expect("user").arn().to_owned(),
            key_id: key.access_key_id().to_owned(),
            secret: key.secret_access_key().to_owned(),
        }
    }

    /// Turns moto's IAM enforcement on or off (`POST /moto-api/reset-auth`, whose body is how many
    /// requests may still pass unchecked: `0` or `inf`). While it is on, every request must be signed
    /// with credentials of an IAM user or an assumed role of the emulator and be allowed by its
    /// policies, so the static credentials of [`Emulator::management_config`] and
    /// [`Emulator::account_config`], and every helper here that uses them, are refused.
    pub async fn enforce_iam(&self, on: bool) {
        let unchecked = if on { "0" } else { "inf" };
        self.test_endpoint("POST", "/moto-api/reset-auth", unchecked)
            .await;
    }

    /// Forgets what was recorded so far and records every AWS request from now on.
    pub async fn start_recording(&self) {
        self.test_endpoint("POST", "/_emulator/recording/start", "")
            .await;
    }

    /// The requests received since [`Emulator::start_recording`], in order, as `service:Action`
    /// (for example `iam:CreateServiceLinkedRole`). A request is recorded before it runs, whether it
    /// succeeds or not.
    pub async fn recorded_actions(&self) -> Vec<String> {
        self.test_endpoint("GET", "/_emulator/recording", "")
            .await
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// One plain HTTP/1.1 request to the launcher's test-only endpoints or moto's own; returns the body
    /// of a 200 answer.
    pub async fn test_endpoint(&self, method: &str, path: &str, body: &str) -> String {
        self.request(method, path, "", body).await
    }

    /// One plain HTTP/1.1 request with `headers` (each line ending in CRLF); the body of its 200
    /// answer.
    async fn request(&self, method: &str, path: &str, headers: &str, body: &str) -> String {
        let host = self
            .endpoint
            .strip_prefix("http://")
            .expect("endpoint is http");
        let mut stream = TcpStream::connect(host)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the emulator at {host}: {e}"));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{method} {path}: malformed answer {response:?}"));
        let status = head.lines().next().unwrap_or_default();
        assert!(
            status.starts_with("HTTP/1.") && status.contains(" 200 "),
            "{method} {path}: {status}\n{body}"
        );
        body.to_owned()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Process::Own(child) = &mut self.process {
            // Errors only mean the process has already gone.
            let _ = child.start_kill();
        }
    }
}

/// The Python to run (`MOTO_PYTHON`, else `.venv/bin/python` under the crate root) and the launcher.
fn launcher_command() -> (PathBuf, PathBuf) {
    let crate_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_root.join(".venv/bin/python"));
    (python, crate_root.join("tests/emulator/launcher.py"))
}

/// Polls DescribeCreateAccountStatus until the account exists; returns its id.
async fn wait_for_account(org: &aws_sdk_organizations::Client, request_id: &str) -> String {
    for _ in 0..50 {
        let described = org
            .describe_create_account_status()
            .create_account_request_id(request_id)
            .send()
            .await
            .or_fail("DescribeCreateAccountStatus");
        let status = described
            .create_account_status()
            .expect("CreateAccountStatus");
        match status.state() {
            Some(CreateAccountState::Succeeded) => {
                return status.account_id().expect("account id").to_owned();
            }
            Some(CreateAccountState::Failed) => {
                panic!("CreateAccount failed: {:?}", status.failure_reason())
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("CreateAccount {request_id} did not succeed within 5 s")
}

/// Panics with the AWS error and its sources, naming the step, instead of `unwrap`'s debug dump.
pub trait OrFail<T> {
    fn or_fail(self, step: &str) -> T;
}

impl<T, E: std::error::Error + 'static> OrFail<T> for Result<T, E> {
    #[track_caller]
    fn or_fail(self, step: &str) -> T {
        match self {
            Ok(value) => value,
            Err(e) => panic!("{step}: {}", DisplayErrorContext(&e)),
        }
    }
}

/// An HTTP client that adds `x-moto-account-id` to every request, so that moto serves it as that account.
#[derive(Debug)]
struct ActAsAccount {
    account_id: String,
    inner: SharedHttpClient,
}

impl HttpClient for ActAsAccount {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ActAsAccountConnector {
            account_id: self.account_id.clone(),
            inner: self.inner.http_connector(settings, components),
        })
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }
}

#[derive(Debug)]
struct ActAsAccountConnector {
    account_id: String,
    inner: SharedHttpConnector,
}

impl HttpConnector for ActAsAccountConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        request
            .headers_mut()
            .insert("x-moto-account-id", self.account_id.clone());
        self.inner.call(request)
    }
}

// ---------------------------------------------------------------------------------------------
// The function under test, wired to the emulator.

/// The function's `App` with its AWS adapters, as the management account against `emulator`, with
/// deletion polling fast enough for tests (the emulator's deletions pass through IN_PROGRESS once).
pub fn app(emulator: &Emulator, config: Config) -> App {
    app_as(&emulator.management_config(), config)
}

/// The function's `App` with its AWS adapters on `sdk`, with fast deletion polling.
pub fn app_as(sdk: &SdkConfig, config: Config) -> App {
    let ports = ports_as(sdk, &config);
    App::with_ports(config, ports)
}

/// The function's AWS adapters on `sdk`, with fast deletion polling, for a test to replace one.
pub fn ports_as(sdk: &SdkConfig, config: &Config) -> Ports {
    let mut access = AccountAccess::new(sdk, &config.member_role_name);
    access.polling = DeletionPolling {
        interval: Duration::from_millis(20),
        attempts: 10,
    };
    Ports::aws(sdk, config, access)
}

/// A file of `events/`, parsed.
pub fn sample(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// An invocation whose deadline is far enough away never to matter.
pub fn no_deadline() -> Invocation {
    Invocation::until(std::time::Instant::now() + Duration::from_secs(600))
}

/// The recorded actions that change something: all but reads (`Get*`, `List*`, `Describe*`,
/// `Receive*`) and STS, which only hands out credentials.
pub fn mutating(actions: &[String]) -> Vec<String> {
    actions
        .iter()
        .filter(|a| {
            let (service, action) = a.split_once(':').unwrap_or(("", a));
            service != "sts"
                && !["Get", "List", "Describe", "Receive"]
                    .iter()
                    .any(|p| action.starts_with(p))
        })
        .cloned()
        .collect()
}

/// Removes `account_id` from the organization, as its management account, and returns the
/// `RemoveAccountFromOrganization` sample event rewritten to name it.
pub async fn remove_account(emulator: &Emulator, account_id: &str) -> serde_json::Value {
    aws_sdk_organizations::Client::new(&emulator.management_config())
        .remove_account_from_organization()
        .account_id(account_id)
        .send()
        .await
        .or_fail("RemoveAccountFromOrganization");
    let mut event = sample("remove-account.json");
    event["detail"]["requestParameters"]["accountId"] = account_id.into();
    event
}

/// A generated document under `docs/` is what the code renders now: `UPDATE_DOCS=1` rewrites it,
/// and the test `filter` of `cargo test --test it` names the test that does.
pub fn assert_generated(doc: &str, rendered: &str, filter: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{doc} is stale: run `UPDATE_DOCS=1 cargo test --test it {filter}`"
    );
}
