//! Lambda entry point: wiring only.

use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};
use marketplace_trusted_access::aws::{load, sdk_loader};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::{App, Invocation};
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime};

// One thread: the function waits on AWS, and Lambda gives a function one vCPU below 1,769 MB. A
// second worker thread would only add its stack and its own allocator arena to the memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    // The error names the variable, its value and what it accepts; Lambda shows it as the init
    // error, and the log line says it in words.
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    // Organizations is served from us-east-1; the template refuses any other region.
    let sdk = load(sdk_loader()).await;
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
