//! The HTTP side: one pooled client POSTing NDJSON to `_bulk`, shared by every batch in flight.

use std::fmt;
use std::time::Duration;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The status and body Elasticsearch answered with.
#[derive(Debug)]
pub struct IngestBulkReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A request that got no answer at all (refused, reset, timed out): the whole batch must be sent again.
#[derive(Debug)]
pub struct IngestTransportError(pub String);

impl fmt::Display for IngestTransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Clone)]
pub struct IngestService {
    client: reqwest::Client,
    bulk_url: String,
}

impl IngestService {
    pub fn new(bulk_url: String, max_in_flight: usize) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(max_in_flight)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .user_agent(concat!("sdg-ingest/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, bulk_url })
    }

    pub async fn send(&self, body: Vec<u8>) -> Result<IngestBulkReply, IngestTransportError> {
        let response = self
            .client
            .post(&self.bulk_url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(describe)?;
        Ok(IngestBulkReply { status, body: body.to_vec() })
    }
}

/// reqwest's Display hides the cause ("error sending request"); the chain says what actually went wrong.
fn describe(error: reqwest::Error) -> IngestTransportError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    IngestTransportError(text)
}
