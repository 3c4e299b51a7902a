// A job's events, live, over EventSource with a short-lived job token (never the key) in the URL.
// EventSource reconnects by itself after a dropped connection and sends Last-Event-ID; when it gives up (the token
// expired, the stream ended with stream_error), a new token is fetched and the stream reopened after the last event.
import { jobToken } from "./api.js";
import { ENDINGS, EVENT_TYPES } from "./vocabulary.js";

const REOPEN_DELAYS_MS = [500, 1000, 2000, 5000];
const MAX_REOPENS = 30;

// Browser-side timings, read by the tests and shown on the job page: for each event, how long after it occurred
// (its `occurred_at`) it was received and how long until the page had drawn it.
export const timings = (window.sdgTimings = window.sdgTimings || { events: [], opened: [] });

export class JobStream {
  constructor(jobId, { onEvents, onState }) {
    this.jobId = jobId;
    this.onEvents = onEvents;
    this.onState = onState || (() => {});
    this.lastId = 0; // the last id the stream sent: where a reopened stream resumes
    this.seen = 0; // the highest sequence handed to the page
    this.ended = false;
    this.reopens = 0;
    this.pending = [];
    this.source = null;
  }

  async open() {
    const { events_url: url } = await jobToken(this.jobId);
    if (this.ended) return;
    this.source = new EventSource(this.lastId ? `${url}&after=${this.lastId}` : url);
    timings.opened.push({ at_epoch_ms: performance.timeOrigin + performance.now(), after: this.lastId });
    this.source.onopen = () => { this.reopens = 0; this.onState("live"); };
    this.source.onerror = () => this.failed();
    for (const type of EVENT_TYPES) this.source.addEventListener(type, (message) => this.received(type, message));
    this.source.addEventListener("stream_error", () => { this.source.close(); this.reopen(); });
  }

  received(type, message) {
    const receivedAt = performance.now();
    const event = JSON.parse(message.data);
    if (message.lastEventId) this.lastId = Math.max(this.lastId, Number(message.lastEventId));
    if (event.sequence && event.sequence <= this.seen) return; // delivered twice across a reopen
    this.seen = Math.max(this.seen, event.sequence || 0);
    this.pending.push({ type, event, receivedAt });
    if (this.pending.length === 1) requestAnimationFrame(() => this.flush());
    if (ENDINGS.has(type)) this.close();
  }

  // Draws every event that came since the last frame in one go, then notes when the page showed them.
  flush() {
    const batch = this.pending;
    this.pending = [];
    this.onEvents(batch.map(({ type, event }) => ({ type, event })));
    requestAnimationFrame(() => {
      const shownAt = performance.now();
      for (const { type, event, receivedAt } of batch) {
        const occurred = Date.parse(event.occurred_at);
        timings.events.push({ type, sequence: event.sequence, occurred_epoch_ms: occurred,
          received_ms: performance.timeOrigin + receivedAt - occurred,
          shown_ms: performance.timeOrigin + shownAt - occurred,
          draw_ms: shownAt - receivedAt });
      }
    });
  }

  failed() {
    if (this.ended) return;
    if (this.source && this.source.readyState === EventSource.CONNECTING) {
      this.onState("reconnecting"); // EventSource retries by itself, with Last-Event-ID
      return;
    }
    this.source.close();
    this.reopen();
  }

  reopen() {
    if (this.ended) return;
    if (this.reopens >= MAX_REOPENS) {
      this.onState("disconnected");
      return;
    }
    this.onState("reconnecting");
    const delay = REOPEN_DELAYS_MS[Math.min(this.reopens, REOPEN_DELAYS_MS.length - 1)];
    this.reopens += 1;
    setTimeout(() => this.open().catch(() => this.reopen()), delay);
  }

  // Drops the connection as a network failure would; the stream resumes after the last event it has.
  drop() {
    if (this.source) this.source.close();
    this.reopen();
  }

  close() {
    this.ended = true;
    if (this.source) this.source.close();
    this.onState("ended");
  }
}
