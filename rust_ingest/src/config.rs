//! `IngestConfig`: every setting comes from an environment variable prefixed `SDG_INGEST_`, with defaults that
//! work against the local RabbitMQ and Elasticsearch of a fresh machine.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

pub const ENV_PREFIX: &str = "SDG_INGEST_";

#[derive(Clone, Debug, PartialEq)]
pub struct IngestConfig {
    pub amqp_url: String,
    pub es_url: String,
    pub queue: String,
    pub events_index: String,
    pub records_index: String,
    pub dead_letter_exchange: String,
    pub prefetch: u16,
    pub batch_max_docs: usize,
    pub batch_max_bytes: usize,
    pub batch_max_wait: Duration,
    /// A message with a bulk action (action line and document) over this many bytes is dead-lettered unsent.
    pub max_doc_bytes: usize,
    pub max_in_flight: usize,
    pub metrics_addr: SocketAddr,
    pub queue_depth_poll: Duration,
    pub retry_max_backoff: Duration,
    /// How long a batch may go on failing while Elasticsearch stores other batches before its failing messages are
    /// handed back to the broker (nack, requeue).
    pub retry_budget: Duration,
    pub log_level: tracing::Level,
    /// Log lines of every service (`log.#` on `sdg.ops`), written into `<logs_index_prefix>YYYY.MM.DD`; `off` (read
    /// as empty): no log consumer.
    pub logs_queue: String,
    pub logs_index_prefix: String,
    /// Where this process publishes its own log lines (routing key `log.rust_ingest`), from a buffer of
    /// `log_buffer_lines` lines; beyond that lines are dropped and counted, never waited for.
    pub ops_exchange: String,
    pub log_shipping: bool,
    pub log_buffer_lines: usize,
}

/// A setting that could not be read: names the variable, the value and what it should look like.
#[derive(Debug, PartialEq)]
pub struct IngestConfigError {
    pub variable: String,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for IngestConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?} is not valid: expected {}", self.variable, self.value, self.expected)
    }
}

impl std::error::Error for IngestConfigError {}

impl IngestConfig {
    pub fn from_env() -> Result<Self, IngestConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (given the full variable name) so tests need not touch the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, IngestConfigError> {
        let env = IngestEnv { lookup: &lookup };
        let config = Self {
            amqp_url: env.string("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            es_url: env.string("ES_URL", "http://127.0.0.1:9200").trim_end_matches('/').to_owned(),
            queue: env.string("QUEUE", "sdg.ingest"),
            events_index: env.string("EVENTS_INDEX", "sdg-events"),
            records_index: env.string("RECORDS_INDEX", "sdg-records"),
            dead_letter_exchange: env.string("DEAD_LETTER_EXCHANGE", "sdg.dead-letter"),
            prefetch: env.parsed("PREFETCH", 4000, "an integer from 1 to 65535")?,
            batch_max_docs: env.parsed("BATCH_MAX_DOCS", 1000, "a positive integer")?,
            batch_max_bytes: env.parsed("BATCH_MAX_BYTES", 5 * 1024 * 1024, "a positive number of bytes")?,
            batch_max_wait: Duration::from_millis(env.parsed("BATCH_MAX_WAIT_MS", 200, "milliseconds")?),
            max_doc_bytes: env.parsed("MAX_DOC_BYTES", 20 * 1024 * 1024, "a positive number of bytes")?,
            max_in_flight: env.parsed("MAX_IN_FLIGHT", 4, "a positive integer")?,
            metrics_addr: env.parsed("METRICS_ADDR", SocketAddr::from(([127, 0, 0, 1], 9464)), "HOST:PORT")?,
            queue_depth_poll: Duration::from_millis(env.parsed("QUEUE_DEPTH_POLL_MS", 5000, "milliseconds")?),
            retry_max_backoff: Duration::from_millis(env.parsed("RETRY_MAX_BACKOFF_MS", 30_000, "milliseconds")?),
            retry_budget: Duration::from_millis(env.parsed("RETRY_BUDGET_MS", 300_000, "milliseconds")?),
            log_level: env.parsed("LOG_LEVEL", tracing::Level::INFO, "trace, debug, info, warn or error")?,
            logs_queue: Some(env.string("LOGS_QUEUE", "sdg.ingest.logs"))
                .filter(|queue| queue != "off")
                .unwrap_or_default(),
            logs_index_prefix: env.string("LOGS_INDEX_PREFIX", "sdg-logs-"),
            ops_exchange: env.string("OPS_EXCHANGE", "sdg.ops"),
            log_shipping: env.parsed("LOG_SHIPPING", true, "true or false")?,
            log_buffer_lines: env.parsed("LOG_BUFFER_LINES", 10_000, "a positive integer")?,
        };
        config.check_positive()?;
        Ok(config)
    }

    fn check_positive(&self) -> Result<(), IngestConfigError> {
        let checks = [
            ("PREFETCH", self.prefetch as usize),
            ("BATCH_MAX_DOCS", self.batch_max_docs),
            ("BATCH_MAX_BYTES", self.batch_max_bytes),
            ("MAX_DOC_BYTES", self.max_doc_bytes),
            ("MAX_IN_FLIGHT", self.max_in_flight),
            ("QUEUE_DEPTH_POLL_MS", self.queue_depth_poll.as_millis() as usize),
            ("RETRY_MAX_BACKOFF_MS", self.retry_max_backoff.as_millis() as usize),
            ("RETRY_BUDGET_MS", self.retry_budget.as_millis() as usize),
            ("LOG_BUFFER_LINES", self.log_buffer_lines),
        ];
        match checks.iter().find(|(_, value)| *value == 0) {
            Some((name, _)) => Err(IngestConfigError {
                variable: format!("{ENV_PREFIX}{name}"),
                value: "0".to_owned(),
                expected: "a value greater than zero",
            }),
            None => Ok(()),
        }
    }

    /// The same settings, consuming the log lines' queue instead of the events'.
    pub fn for_logs(&self) -> Self {
        Self { queue: self.logs_queue.clone(), ..self.clone() }
    }

    pub fn bulk_url(&self) -> String {
        format!("{}/_bulk?filter_path=errors,error,status,items.*.status,items.*.error", self.es_url)
    }
}

struct IngestEnv<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl IngestEnv<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(&format!("{ENV_PREFIX}{name}")).filter(|value| !value.trim().is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    fn parsed<T: FromStr>(&self, name: &str, default: T, expected: &'static str) -> Result<T, IngestConfigError> {
        let Some(value) = self.raw(name) else {
            return Ok(default);
        };
        value.trim().parse().map_err(|_| IngestConfigError { variable: format!("{ENV_PREFIX}{name}"), value, expected })
    }
}

/// The URL with the password of its user info replaced, for logs (the URLs carry the servers' credentials).
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_owned() };
    let authority_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    let Some(at) = url[scheme_end..authority_end].rfind('@').map(|i| scheme_end + i) else { return url.to_owned() };
    match url[scheme_end..at].find(':') {
        Some(colon) => format!("{}:***{}", &url[..scheme_end + colon], &url[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> Result<IngestConfig, IngestConfigError> {
        let env: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        IngestConfig::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_work_on_a_fresh_machine() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(config.es_url, "http://127.0.0.1:9200");
        assert_eq!(config.queue, "sdg.ingest");
        assert_eq!(config.events_index, "sdg-events");
        assert_eq!(config.records_index, "sdg-records");
        assert_eq!(config.dead_letter_exchange, "sdg.dead-letter");
        assert_eq!(config.prefetch, 4000);
        assert_eq!(config.batch_max_docs, 1000);
        assert_eq!(config.batch_max_bytes, 5 * 1024 * 1024);
        assert_eq!(config.batch_max_wait, Duration::from_millis(200));
        assert_eq!(config.max_doc_bytes, 20 * 1024 * 1024);
        assert_eq!(config.max_in_flight, 4);
        assert_eq!(config.metrics_addr.to_string(), "127.0.0.1:9464");
        assert_eq!(config.queue_depth_poll, Duration::from_secs(5));
        assert_eq!(config.retry_max_backoff, Duration::from_secs(30));
        assert_eq!(config.retry_budget, Duration::from_secs(300));
        assert_eq!(config.logs_queue, "sdg.ingest.logs");
        assert_eq!(config.logs_index_prefix, "sdg-logs-");
        assert!(config.log_shipping);
        assert_eq!(config.for_logs().queue, "sdg.ingest.logs");
        assert_eq!(config_from(&[("SDG_INGEST_LOGS_QUEUE", "off")]).unwrap().logs_queue, "");
    }

    #[test]
    fn overrides_are_read_from_prefixed_variables() {
        let config = config_from(&[
            ("SDG_INGEST_ES_URL", "http://es:9200/"),
            ("SDG_INGEST_QUEUE", "ingest-smoke"),
            ("SDG_INGEST_BATCH_MAX_WAIT_MS", "50"),
            ("SDG_INGEST_MAX_IN_FLIGHT", "2"),
        ])
        .unwrap();
        assert_eq!(config.es_url, "http://es:9200");
        assert_eq!(config.queue, "ingest-smoke");
        assert_eq!(config.batch_max_wait, Duration::from_millis(50));
        assert_eq!(config.max_in_flight, 2);
        assert!(config.bulk_url().starts_with("http://es:9200/_bulk?"));
    }

    #[test]
    fn the_document_size_limit_is_read_and_must_be_positive() {
        assert_eq!(config_from(&[("SDG_INGEST_MAX_DOC_BYTES", "1048576")]).unwrap().max_doc_bytes, 1024 * 1024);
        let error = config_from(&[("SDG_INGEST_MAX_DOC_BYTES", "0")]).unwrap_err();
        assert_eq!(error.variable, "SDG_INGEST_MAX_DOC_BYTES");
        let error = config_from(&[("SDG_INGEST_MAX_DOC_BYTES", "20mb")]).unwrap_err();
        assert!(error.to_string().contains("a positive number of bytes"), "{error}");
    }

    #[test]
    fn the_retry_budget_is_read_in_milliseconds_and_must_be_positive() {
        assert_eq!(
            config_from(&[("SDG_INGEST_RETRY_BUDGET_MS", "60000")]).unwrap().retry_budget,
            Duration::from_secs(60)
        );
        let error = config_from(&[("SDG_INGEST_RETRY_BUDGET_MS", "0")]).unwrap_err();
        assert_eq!(error.variable, "SDG_INGEST_RETRY_BUDGET_MS");
    }

    #[test]
    fn a_bad_value_names_the_variable_and_what_was_expected() {
        let error = config_from(&[("SDG_INGEST_PREFETCH", "lots")]).unwrap_err();
        assert_eq!(error.variable, "SDG_INGEST_PREFETCH");
        assert!(error.to_string().contains("an integer from 1 to 65535"));
        let error = config_from(&[("SDG_INGEST_MAX_IN_FLIGHT", "0")]).unwrap_err();
        assert_eq!(error.variable, "SDG_INGEST_MAX_IN_FLIGHT");
    }

    #[test]
    fn a_url_is_logged_without_its_password() {
        assert_eq!(redacted("http://sdg:s3cret@127.0.0.1:9200"), "http://sdg:***@127.0.0.1:9200");
        assert_eq!(redacted("amqp://sdg:pw@host:5672/sdg"), "amqp://sdg:***@host:5672/sdg");
        assert_eq!(redacted("http://127.0.0.1:9200"), "http://127.0.0.1:9200");
        assert_eq!(redacted("http://user@host/x@y"), "http://user@host/x@y");
    }
}
