// /ui/jobs/{id}: the job, live from its event stream: progress, records/s, ETA, chunks, workers, rejections, cancel.
import { api } from "./api.js";
import { wireExports } from "./exports.js";
import { JobStream } from "./live.js";
import { $, clearProblem, duration, el, jobIdOfPage, jobUrl, number, percent, showProblem, start, statusBadge,
  time } from "./ui.js";
import { ENDED_STATUSES, ENDINGS, STATUS_OF, STATUS_RANK } from "./vocabulary.js";

const MAX_LOGGED = 200;
const MAX_REJECTIONS = 50;
const clock = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false, fractionalSecondDigits: 1 });

const state = { count: 0, generated: 0, rejected: 0, status: "submitted", chunksTotal: null, chunksCompleted: 0,
  workers: new Set(), rejections: [], startedAt: null, lastRecordAt: null, reason: null };

function fromProjection(job) {
  Object.assign(state, { count: job.count || 0, generated: job.records_generated, rejected: job.records_rejected,
    status: job.status, chunksTotal: job.chunks_total, chunksCompleted: job.chunks_completed, reason: job.reason,
    startedAt: job.started_at ? Date.parse(job.started_at) : null });
  for (const worker of job.workers || []) state.workers.add(worker);
  $("#job-summary").textContent = [job.record_type || "inline schema", job.profile && `profile ${job.profile}`,
    job.locale && `locale ${job.locale}`, job.seed !== null && `seed ${job.seed}`,
    `submitted ${time(job.submitted_at)}`].filter(Boolean).join(" · ");
}

function setStatus(status) {
  if (STATUS_RANK[status] >= STATUS_RANK[state.status]) state.status = status;
}

function apply({ type, event }) {
  if (STATUS_OF[type]) setStatus(STATUS_OF[type]);
  if (type === "JobSubmitted") state.count = event.spec.count;
  if (type === "JobPlanned") state.chunksTotal = event.chunks_total;
  if (type === "JobStarted") state.startedAt = Date.parse(event.occurred_at);
  if (event.worker) state.workers.add(event.worker);
  if (type === "ChunkCompleted") state.chunksCompleted = Math.max(state.chunksCompleted, event.chunks_completed || 0);
  if (typeof event.records_generated === "number") state.generated = Math.max(state.generated, event.records_generated);
  if (typeof event.records_rejected === "number") state.rejected = Math.max(state.rejected, event.records_rejected);
  if (type === "RecordGenerated") state.lastRecordAt = Date.parse(event.occurred_at);
  if (type === "RecordRejected") {
    state.rejections.unshift(event);
    state.rejections.length = Math.min(state.rejections.length, MAX_REJECTIONS);
  }
  if (type === "JobFailed" || type === "JobCancelled") state.reason = event.reason || state.reason;
}

function rate() {
  if (!state.startedAt || !state.lastRecordAt || state.lastRecordAt <= state.startedAt) return null;
  return state.generated / ((state.lastRecordAt - state.startedAt) / 1000);
}

function draw() {
  const share = state.count ? state.generated / state.count : 0;
  const bar = $("#job-progress");
  bar.max = state.count || 1;
  bar.value = Math.min(state.generated, bar.max);
  bar.setAttribute("aria-valuetext", `${state.generated} of ${state.count} records`);
  $("#progress-text").textContent = `${number(state.generated)} of ${number(state.count)} records (${percent(share)})`
    + (state.reason ? ` · ${state.reason}` : "");
  $("#job-status").replaceChildren(statusBadge(state.status));
  const perSecond = rate();
  $("#fig-rate").textContent = perSecond === null ? "–" : number(perSecond, 1);
  const finished = ENDED_STATUSES.has(state.status);
  $("#fig-eta").textContent = finished ? "done" : perSecond ? duration((state.count - state.generated) / perSecond) : "–";
  $("#fig-chunks").textContent = state.chunksTotal ? `${state.chunksCompleted} / ${state.chunksTotal}` : "–";
  $("#fig-workers").textContent = state.workers.size ? [...state.workers].join(", ") : "–";
  $("#fig-rejected").textContent = number(state.rejected);
  $("#cancel-job").hidden = finished;
  $("#no-rejections").hidden = state.rejections.length > 0;
  $("#rejections").replaceChildren(...state.rejections.map((event) => el("li", {},
    el("strong", { text: `record ${event.index}, attempt ${event.attempt}: ` }), event.reason)));
}

function logEvents(batch) {
  const log = $("#event-log");
  for (const { type, event } of batch) {
    log.prepend(el("li", { text: `#${event.sequence || "–"} ${type} ${clock(event.occurred_at)}` }));
  }
  while (log.children.length > MAX_LOGGED) log.lastChild.remove();
}

async function cancel(jobId) {
  const button = $("#cancel-job");
  button.disabled = true;
  try {
    await api(`/v1/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST", body: { reason: "cancelled in the console" } });
    clearProblem($("#job-problem"));
  } catch (failure) {
    showProblem($("#job-problem"), failure, "The job could not be cancelled");
    button.disabled = false;
  }
}

start(async () => {
  const jobId = jobIdOfPage();
  $("#job-id").textContent = jobId;
  $("#link-records").href = jobUrl(jobId, "/records");
  $("#link-profile").href = jobUrl(jobId, "/profile");
  $("#cancel-job").addEventListener("click", () => cancel(jobId));
  wireExports($("#export-buttons"), jobId, $("#job-problem"));
  fromProjection(await api(`/v1/jobs/${encodeURIComponent(jobId)}`));
  draw();
  const stream = new JobStream(jobId, {
    onEvents(batch) {
      batch.forEach(apply);
      draw();
      logEvents(batch);
      if (batch.some(({ type }) => ENDINGS.has(type))) document.body.dataset.jobEnded = state.status;
    },
    onState(streamState) { $("#fig-stream").textContent = streamState; },
  });
  window.sdgStream = stream;
  await stream.open();
});
