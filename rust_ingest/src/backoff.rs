//! How long to wait before trying again: exponential backoff with jitter, capped.

use std::time::Duration;

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
}
