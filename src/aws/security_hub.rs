//! Security Hub CSPM's `BatchImportFindings` (docs/design.md, "Findings"): one JSON request,
//! `POST /findings/import`, signed with Signature Version 4 by the SDK's own signer and sent on
//! hyper and rustls, the HTTP stack the SDK clients use. `aws-sdk-securityhub` would add the whole
//! finding format's types to the binary for one call.

use crate::findings::send::IMPORT_TIMEOUT;
use crate::ports::{AwsError, ErrorKind, Refusal, SecurityHub};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;

/// The one operation, as IAM authorizes it (service prefix and action): the signing name, and what
/// the template grants (`tests/it/template_actions.rs` reads this line).
const OPERATION: (&str, &str) = ("securityhub", "BatchImportFindings");
/// Attempts of a call that failed transiently (throttled, 5xx, not sent or timed out), waiting
/// 200 ms, then 400 ms, between them; each attempt is bounded by [`IMPORT_TIMEOUT`].
const ATTEMPTS: u32 = 3;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Security Hub CSPM in the function's own account and region.
pub struct Hub {
    /// Made at the first import, as the SDK makes its connector at its first call: the system's
    /// certificates are not read at start-up.
    client: OnceCell<Client<Https, Full<Bytes>>>,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    endpoint: String,
}

impl Hub {
    /// The endpoint is `AWS_ENDPOINT_URL_SECURITYHUB`, else the SDK's `AWS_ENDPOINT_URL`, else the
    /// region's.
    pub fn new(sdk: &SdkConfig) -> Hub {
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_string();
        let endpoint = std::env::var("AWS_ENDPOINT_URL_SECURITYHUB")
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| sdk.endpoint_url().map(str::to_string))
            .unwrap_or_else(|| format!("https://securityhub.{region}.{}", dns_suffix(&region)));
        Hub {
            client: OnceCell::new(),
            credentials: sdk.credentials_provider(),
            region,
            endpoint: endpoint.trim_end_matches('/').to_string(),
        }
    }

    /// The HTTP client: rustls on ring with the system's certificates, as `aws::http_client`.
    async fn client(&self) -> Result<&Client<Https, Full<Bytes>>, AwsError> {
        self.client
            .get_or_try_init(|| async {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                    .map_err(|e| AwsError::new("TlsSetupFailed", e.to_string()))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .await
    }

    /// One attempt: the answer's status, its `x-amzn-ErrorType` header and its body.
    async fn send(
        &self,
        body: &Bytes,
    ) -> Result<(http::StatusCode, Option<String>, Bytes), AwsError> {
        let client = self.client().await?;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| AwsError::new("CredentialsNotLoaded", "no credentials provider"))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| AwsError::new("CredentialsNotLoaded", e.to_string()))?;
        let mut request = http::Request::builder()
            .method("POST")
            .uri(format!("{}/findings/import", self.endpoint))
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .map_err(|e| AwsError::new("ConstructionFailure", e.to_string()))?;
        sign(&mut request, body, &credentials.into(), &self.region)?;
        let answer = tokio::time::timeout(IMPORT_TIMEOUT, async {
            let response = client.request(request).await.map_err(|e| {
                AwsError::new("DispatchFailure", e.to_string()).of_kind(ErrorKind::Transient)
            })?;
            let status = response.status();
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = response.into_body().collect().await.map_err(|e| {
                AwsError::new("ResponseError", e.to_string()).of_kind(ErrorKind::Transient)
            })?;
            Ok::<_, AwsError>((status, error_type, bytes.to_bytes()))
        })
        .await;
        answer.unwrap_or_else(|_| {
            Err(AwsError::new("TimeoutError", "the attempt timed out")
                .of_kind(ErrorKind::Transient))
        })
    }
}

/// The DNS suffix of a region's endpoints.
fn dns_suffix(region: &str) -> &'static str {
    match region.starts_with("cn-") {
        true => "amazonaws.com.cn",
        false => "amazonaws.com",
    }
}

/// Signs `request` for Security Hub in `region` (Signature Version 4, the body's hash included).
fn sign(
    request: &mut http::Request<Full<Bytes>>,
    body: &[u8],
    identity: &aws_smithy_runtime_api::client::identity::Identity,
    region: &str,
) -> Result<(), AwsError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
    let failed = |e: &dyn std::fmt::Display| AwsError::new("SigningFailed", e.to_string());
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(OPERATION.0)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
    let uri = request.uri().to_string();
    let signable = SignableRequest::new("POST", &uri, headers, SignableBody::Bytes(body))
        .map_err(|e| failed(&e))?;
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| failed(&e))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[async_trait]
impl SecurityHub for Hub {
    async fn import(&self, findings: &[Value]) -> Result<Vec<Refusal>, AwsError> {
        let body = serde_json::to_vec(&serde_json::json!({ "Findings": findings }))
            .map_err(|e| AwsError::new("ConstructionFailure", e.to_string()))?;
        let body = Bytes::from(body);
        let mut attempt = 1;
        loop {
            let answer = match self.send(&body).await {
                Ok((status, error_type, bytes)) => answered(status, error_type.as_deref(), &bytes),
                Err(e) => Err(e),
            };
            match answer {
                Err(e) if e.kind == ErrorKind::Transient && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }
}

/// Security Hub's answer: the findings refused, or the error of a refused call, its code from the
/// `x-amzn-ErrorType` header (`error_type`), else from the body (`__type`, `code`, `Code`), as the
/// REST-JSON protocol gives it. A throttled call (429) or a server error (5xx) is transient.
pub fn answered(
    status: http::StatusCode,
    error_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<Refusal>, AwsError> {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |v: &Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| v[*k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    if status.is_success() {
        let failed = json["FailedFindings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        return Ok(failed
            .iter()
            .map(|f| Refusal {
                id: text(f, &["Id"]),
                code: text(f, &["ErrorCode"]),
                message: text(f, &["ErrorMessage"]),
            })
            .collect());
    }
    let code = error_type
        .map(str::to_string)
        .unwrap_or_else(|| text(&json, &["__type", "code", "Code"]));
    let code = code.rsplit('#').next().unwrap_or_default();
    let code = code.split(':').next().unwrap_or_default();
    let code = match code.is_empty() {
        true => format!("HTTP{}", status.as_u16()),
        false => code.to_string(),
    };
    let error = AwsError::new(code, text(&json, &["message", "Message"]));
    let transient = status.as_u16() == 429 || status.is_server_error();
    Err(match transient {
        true => error.of_kind(ErrorKind::Transient),
        false => error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_findings_are_read_and_a_refused_call_keeps_its_code_and_kind() {
        let ok = br#"{"FailedCount":1,"SuccessCount":1,"FailedFindings":[{"Id":"a","ErrorCode":"InvalidInput","ErrorMessage":"Title is required"}]}"#;
        let refused = answered(http::StatusCode::OK, None, ok).unwrap();
        assert_eq!(
            refused,
            [Refusal {
                id: "a".into(),
                code: "InvalidInput".into(),
                message: "Title is required".into()
            }]
        );
        let denied = br#"{"__type":"InvalidAccessException","Message":"not subscribed"}"#;
        let e = answered(http::StatusCode::UNAUTHORIZED, None, denied).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.kind),
            ("InvalidAccessException", ErrorKind::Permanent)
        );
        assert_eq!(e.message, "not subscribed");
        let throttled = br#"{"code":"LimitExceededException","message":"slow down"}"#;
        let e = answered(http::StatusCode::TOO_MANY_REQUESTS, None, throttled).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.kind),
            ("LimitExceededException", ErrorKind::Transient)
        );
        let e = answered(http::StatusCode::BAD_GATEWAY, None, b"<html>").unwrap_err();
        assert_eq!((e.code.as_str(), e.kind), ("HTTP502", ErrorKind::Transient));
        // The header names the code when the body does not, with its namespace and extra after `:`.
        let header = Some("InvalidAccessException:http://internal.amazon.com/coral/");
        let e = answered(
            http::StatusCode::UNAUTHORIZED,
            header,
            br#"{"Message":"m"}"#,
        );
        assert_eq!(e.unwrap_err().code, "InvalidAccessException");
    }
}
