// The event vocabulary as events/ on the server defines it (every page carries it, as JSON, in #sdg-vocabulary), so
// no page keeps a copy of its own: the event types a job's stream may send, the events that end a job and the
// status each ends in, and the status (with its rank) each event implies, the projection's own rule.
const vocabulary = JSON.parse(document.getElementById("sdg-vocabulary").textContent);

export const EVENT_TYPES = vocabulary.event_types;
export const ENDINGS = new Set(Object.keys(vocabulary.endings));
export const ENDED_STATUSES = new Set(Object.values(vocabulary.endings));
export const STATUS_OF = vocabulary.status_of;
export const STATUS_RANK = vocabulary.status_rank;
