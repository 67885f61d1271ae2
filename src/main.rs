//! Lambda entry point: wiring only.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::App;
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
            app.handle(&event.payload, Instant::now() + remaining).await
        }
    }))
    .await
}
