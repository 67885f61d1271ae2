//! Lambda entry point: wiring only.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::{App, Invocation};
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    // Organizations is served from us-east-1; the template refuses any other region. Throttling is
    // retried by the SDK's standard mode with backoff, never by hand-written loops.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(
            aws_config::meta::region::RegionProviderChain::default_provider()
                .or_else(Region::new("us-east-1")),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        // Bound every call, retries included, so that one slow account cannot eat the deadline.
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await;
    let app = App::new(&sdk, config);
    run(service_fn(|event: LambdaEvent<Value>| {
        let app = &app;
        async move {
            let remaining = event
                .context
                .deadline()
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            // Some local runtime emulators send the invocation time as the deadline; Lambda never
            // does. Rather than reach no account, assume Lambda's longest timeout.
            let remaining = if remaining.is_zero() {
                tracing::warn!("the runtime sent no usable deadline; assuming 15 minutes");
                Duration::from_secs(900)
            } else {
                remaining
            };
            let invocation = Invocation {
                request_id: event.context.request_id.clone(),
                deadline: Instant::now() + remaining,
            };
            app.handle(&event.payload, &invocation).await.into_result()
        }
    }))
    .await
}
