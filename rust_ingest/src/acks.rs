//! Acks with as few frames as possible. Batches finish out of order, so each settled delivery tag is noted, and
//! whenever the lowest unacked tag is settled one `basic.ack` with `multiple` acks the whole settled run from it.
//! A delivery is settled once everything it became is stored in Elasticsearch, or once its dead letter is
//! confirmed (both acked), or once it was put back with a nack (not acked again).

use lapin::Channel;
use lapin::options::BasicAckOptions;
use std::collections::BTreeMap;
use tokio::sync::Mutex;

/// The bookkeeping, apart from the channel so it can be tested alone. Delivery tags count from 1 per channel.
#[derive(Debug)]
pub struct IngestAckWindow {
    /// Every tag below this one is settled and, if it was to be acked, acked.
    settled_below: u64,
    /// Settled tags at or above `settled_below`, waiting for a lower one; `true` for an ack, `false` for a nack.
    waiting: BTreeMap<u64, bool>,
}

/// One cumulative ack to send: every unacked tag up to `up_to`, of which `acked` messages were settled by an ack.
#[derive(Debug, PartialEq)]
pub struct IngestAckRun {
    pub up_to: u64,
    pub acked: u64,
}

impl Default for IngestAckWindow {
    fn default() -> Self {
        Self { settled_below: 1, waiting: BTreeMap::new() }
    }
}

impl IngestAckWindow {
    /// Notes settled tags (`true` = to ack, `false` = already nacked) and returns the ack to send, if any.
    pub fn settle(&mut self, tags: impl IntoIterator<Item = (u64, bool)>) -> Option<IngestAckRun> {
        self.waiting.extend(tags);
        let (mut up_to, mut acked) = (None, 0);
        while let Some(ack) = self.waiting.remove(&self.settled_below) {
            if ack {
                up_to = Some(self.settled_below);
                acked += 1;
            }
            self.settled_below += 1;
        }
        up_to.map(|up_to| IngestAckRun { up_to, acked })
    }

    /// Settled tags that wait for a lower one.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

pub struct IngestAcks {
    channel: Channel,
    window: Mutex<IngestAckWindow>,
}

impl IngestAcks {
    /// `channel` is the one the deliveries came on.
    pub fn new(channel: Channel) -> Self {
        Self { channel, window: Mutex::new(IngestAckWindow::default()) }
    }

    /// Settles `tags` and sends the resulting cumulative ack; returns how many messages it acked. The lock is held
    /// while sending so that cumulative acks leave in increasing order (an ack for a tag already covered by a
    /// higher one would be an unknown tag to the broker, which closes the channel).
    pub async fn settle(&self, tags: impl IntoIterator<Item = (u64, bool)>) -> Result<u64, lapin::Error> {
        let mut window = self.window.lock().await;
        let Some(run) = window.settle(tags) else {
            return Ok(0);
        };
        self.channel.basic_ack(run.up_to, BasicAckOptions { multiple: true }).await?;
        Ok(run.acked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_tags_are_acked_in_one_run() {
        let mut window = IngestAckWindow::default();
        assert_eq!(window.settle((1..=250).map(|tag| (tag, true))), Some(IngestAckRun { up_to: 250, acked: 250 }));
        assert_eq!(window.waiting(), 0);
    }

    #[test]
    fn a_later_batch_waits_for_the_earlier_one_then_both_go_in_one_ack() {
        let mut window = IngestAckWindow::default();
        assert_eq!(window.settle((4..=6).map(|tag| (tag, true))), None);
        assert_eq!(window.waiting(), 3);
        assert_eq!(window.settle((1..=3).map(|tag| (tag, true))), Some(IngestAckRun { up_to: 6, acked: 6 }));
        assert_eq!(window.waiting(), 0);
    }

    #[test]
    fn interleaved_batches_ack_only_the_contiguous_prefix() {
        let mut window = IngestAckWindow::default();
        assert_eq!(window.settle([(1, true), (3, true), (5, true)]), Some(IngestAckRun { up_to: 1, acked: 1 }));
        assert_eq!(window.settle([(2, true), (6, true)]), Some(IngestAckRun { up_to: 3, acked: 2 }));
        assert_eq!(window.settle([(4, true)]), Some(IngestAckRun { up_to: 6, acked: 3 }));
    }

    #[test]
    fn a_nacked_tag_is_passed_over_and_not_counted() {
        let mut window = IngestAckWindow::default();
        assert_eq!(window.settle([(1, true), (2, false), (3, true)]), Some(IngestAckRun { up_to: 3, acked: 2 }));
        // A run of nacks alone needs no ack frame at all.
        assert_eq!(window.settle([(4, false), (5, false)]), None);
        assert_eq!(window.settle([(6, true)]), Some(IngestAckRun { up_to: 6, acked: 1 }));
    }
}
