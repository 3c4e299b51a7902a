//! How long to wait before trying again (exponential backoff with jitter, capped), and how long one batch may go
//! on failing.

use std::time::{Duration, Instant};

/// How a batch retries: the ceiling of the backoff between its requests (`SDG_INGEST_RETRY_MAX_BACKOFF_MS`), and
/// how long it may go on failing while Elasticsearch stores other batches' documents before its failing messages
/// are handed back to the broker (`SDG_INGEST_RETRY_BUDGET_MS`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IngestRetryLimits {
    pub max_backoff: Duration,
    pub budget: Duration,
}

/// Exponential backoff with "equal jitter": each delay is at least half its ceiling, so retries spread out without
/// collapsing to zero, and the ceiling stops growing at `cap`.
#[derive(Clone, Debug)]
pub struct IngestBackoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl IngestBackoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap, attempt: 0 }
    }

    /// For bulk retries: 100 ms doubling up to `cap` (`SDG_INGEST_RETRY_MAX_BACKOFF_MS`, 30 s by default).
    pub fn for_bulk(cap: Duration) -> Self {
        Self::new(Duration::from_millis(100), cap)
    }

    /// For reconnecting to RabbitMQ and waiting for the queue: 500 ms doubling up to 30 s.
    pub fn for_broker() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    pub fn ceiling(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(30));
        self.base.saturating_mul(factor).min(self.cap)
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + half.mul_f64(rand::random_range(0.0..=1.0))
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// One batch's retries: the backoff between them, and since when its requests have been failing or refused.
pub struct IngestBatchRetries {
    pub backoff: IngestBackoff,
    budget: Duration,
    failing_since: Option<Instant>,
}

impl IngestBatchRetries {
    pub fn new(limits: IngestRetryLimits) -> Self {
        Self { backoff: IngestBackoff::for_bulk(limits.max_backoff), budget: limits.budget, failing_since: None }
    }

    /// Notes a failure at `now`; returns when the failures began.
    pub fn failed(&mut self, now: Instant) -> Instant {
        *self.failing_since.get_or_insert(now)
    }

    /// When the failures began, if they have lasted the whole budget by `now`.
    pub fn spent_since(&self, now: Instant) -> Option<Instant> {
        self.failing_since.filter(|since| now.saturating_duration_since(*since) >= self.budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut backoff = IngestBackoff::new(Duration::from_millis(100), Duration::from_secs(30));
        let ceilings: Vec<Duration> = (0..12)
            .map(|_| {
                let ceiling = backoff.ceiling();
                let delay = backoff.next_delay();
                assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay:?} outside [{:?}, {ceiling:?}]", ceiling / 2);
                ceiling
            })
            .collect();
        assert_eq!(ceilings[0], Duration::from_millis(100));
        assert_eq!(ceilings[1], Duration::from_millis(200));
        assert_eq!(ceilings[5], Duration::from_millis(3200));
        assert!(ceilings.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(ceilings[11], Duration::from_secs(30));
        for _ in 0..100 {
            assert!(backoff.next_delay() <= Duration::from_secs(30));
        }
        backoff.reset();
        assert_eq!(backoff.ceiling(), Duration::from_millis(100));
    }

    #[test]
    fn bulk_backoff_never_exceeds_the_configured_ceiling_however_long_it_goes_on() {
        let mut backoff = IngestBackoff::for_bulk(Duration::from_millis(1500));
        let delays: Vec<Duration> = (0..10_000).map(|_| backoff.next_delay()).collect();
        assert!(delays.iter().all(|delay| *delay <= Duration::from_millis(1500)));
        assert!(delays[9_000..].iter().all(|delay| *delay >= Duration::from_millis(750)), "stays at the ceiling");
        assert_eq!(backoff.ceiling(), Duration::from_millis(1500));
    }

    #[test]
    fn a_batch_spends_its_budget_only_from_its_first_failure() {
        let limits = IngestRetryLimits { max_backoff: Duration::from_secs(30), budget: Duration::from_secs(300) };
        let mut retries = IngestBatchRetries::new(limits);
        let start = Instant::now();
        assert_eq!(retries.spent_since(start + Duration::from_secs(3600)), None, "no failure, no budget spent");
        assert_eq!(retries.failed(start), start);
        assert_eq!(retries.failed(start + Duration::from_secs(200)), start, "the first failure is kept");
        assert_eq!(retries.spent_since(start + Duration::from_secs(299)), None);
        assert_eq!(retries.spent_since(start + Duration::from_secs(300)), Some(start));
    }
}
