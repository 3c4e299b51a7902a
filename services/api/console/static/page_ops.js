// /ui/ops: the key, health of every service (operator keys), records/s over the last hour, recent jobs and their
// rates, prompt batches (upload, progress, output), a job's log lines, record types and profiles.
import { ApiError, api, query } from "./api.js";
import { columnChart } from "./charts.js";
import { $, clearProblem, el, jobUrl, number, percent, showProblem, start, statusBadge, time } from "./ui.js";
import { ENDED_STATUSES } from "./vocabulary.js";

const BATCH_POLL_MS = 1000;

function keyFacts(who) {
  $("#key-facts").replaceChildren(...[["tenant", who.tenant], ["key", `${who.key_id}${who.name ? ` (${who.name})` : ""}`],
    ["scopes", who.scopes.join(", ")]].flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]));
}

function healthNeedsOperator() {
  $("#health-status").textContent = "Health of the installation needs an operator key; this key sees its own tenant.";
  $("#health-table").closest(".table-wrap").hidden = true;
}

async function health(who) {
  if (!who.scopes.includes("operator")) {
    healthNeedsOperator();
    return;
  }
  try {
    const found = await api("/v1/health");
    $("#health-status").replaceChildren(statusBadge(found.status === "ok" ? "completed" : "failed"),
      ` ${found.status}${found.down.length ? `: down ${found.down.join(", ")}` : ""} · checked ${time(found.checked_at)}`);
    const rows = [
      ...Object.entries(found.components).map(([name, part]) => [name, part.up, part.detail
        || Object.entries(part.figures).map(([figure, value]) => `${figure} ${number(value)}`).join(", ")]),
      ...found.services.map((one) => [`${one.service} ${one.instance}`, one.up, `heartbeat ${number(one.age_s, 1)} s ago`]),
    ];
    $("#health-table tbody").replaceChildren(...rows.map(([name, up, detail]) => el("tr", {},
      el("td", { text: name }), el("td", { text: up ? "yes" : "NO" }), el("td", { text: detail || "" }))));
  } catch (failure) {
    if (!(failure instanceof ApiError) || failure.status !== 403) throw failure;
    healthNeedsOperator();
  }
}

async function stats() {
  const found = await api("/v1/stats");
  $("#stats-summary").textContent = `${number(found.records)} records, ${number(found.records_per_s, 3)} records/s, `
    + `${number(found.tokens_per_s, 2)} tokens/s, rejection rate ${percent(found.rejection_rate, 1)}`;
  $("#stats-chart").replaceChildren(columnChart(found.buckets.map((bucket) => ({
    label: new Date(bucket.start).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }),
    value: bucket.records_per_s })), { label: "Records per second per minute, last hour", width: 720,
    format: (value) => number(value, 2) }));
}

async function recentJobs() {
  const page = await api(`/v1/jobs${query({ size: 10 })}`);
  $("#recent-table tbody").replaceChildren(...page.jobs.map((job) => {
    const seconds = job.started_at && job.finished_at ? (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000 : null;
    return el("tr", {},
      el("td", {}, el("a", { href: jobUrl(job.job_id), text: job.job_id.slice(0, 12) })),
      el("td", {}, statusBadge(job.status)),
      el("td", { class: "num", text: `${number(job.records_generated)} / ${number(job.count)}` }),
      el("td", { class: "num", text: seconds ? number(job.records_generated / seconds, 1) : "–" }),
      el("td", { class: "num", text: number(job.records_rejected) }));
  }));
  if (page.jobs.length && !$("#logs-job").value) $("#logs-job").value = page.jobs[0].job_id;
}

function showBatch(batch) {
  const counts = batch.request_counts;
  const done = counts.completed + counts.failed;
  $("#batch").hidden = false;
  $("#batch-status").replaceChildren(statusBadge(batch.status), ` ${batch.id}: ${number(done)} of `
    + `${number(counts.total)} requests answered (${number(counts.cached)} from the cache, ${number(counts.failed)} failed)`);
  $("#batch-progress").max = counts.total || 1;
  $("#batch-progress").value = done;
  $("#batch-download").disabled = !batch.output_url;
  document.body.dataset.batchStatus = batch.status;
}

// Follows the batch until it has ended (its output is ready then), one read a second.
async function followBatch(batchId) {
  const batch = await api(`/v1/batches/${encodeURIComponent(batchId)}`);
  showBatch(batch);
  if (!ENDED_STATUSES.has(batch.status)) setTimeout(() => followBatch(batchId).catch(batchProblem), BATCH_POLL_MS);
}

const batchProblem = (failure) => showProblem($("#batch-problem"), failure, "The batch could not be run");

async function uploadBatch(event) {
  event.preventDefault();
  clearProblem($("#batch-problem"));
  const form = new FormData();
  form.append("file", $("#batch-file").files[0]);
  const button = $("#batch-upload");
  button.disabled = true;
  try {
    const batch = await api("/v1/batches", { method: "POST", body: form });
    $("#batch-download").dataset.batchId = batch.id;
    await followBatch(batch.id);
  } catch (failure) {
    batchProblem(failure);
  } finally {
    button.disabled = false;
  }
}

// The output needs the key (a header), so it is fetched here and handed to the browser as a file.
async function downloadBatch() {
  const batchId = $("#batch-download").dataset.batchId;
  try {
    const response = await api(`/v1/batches/${encodeURIComponent(batchId)}/output`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `${batchId}_output.jsonl`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (failure) {
    batchProblem(failure);
  }
}

async function logLines(event) {
  if (event) event.preventDefault();
  const job = $("#logs-job").value.trim();
  if (!job) return;
  const page = await api(`/v1/logs${query({ job, level: $("#logs-level").value, size: 100, order: "asc" })}`);
  const box = $("#logs-lines");
  box.hidden = false;
  box.textContent = page.logs.map((line) => `${line.timestamp} ${line.level.padEnd(7)} ${line.service.padEnd(11)} `
    + `${line.message}`).join("\n") || "No lines for this job.";
}

async function registries() {
  const [types, profiles] = await Promise.all([api("/v1/record-types"), api("/v1/profiles")]);
  $("#types-list").replaceChildren(...types.record_types.map((type) => el("li", {},
    el("strong", { text: type.ref }), ` (${type.tenant}) ${type.description || ""}`)));
  $("#profiles-table tbody").replaceChildren(...profiles.profiles.filter((one) => !one.retired).map((one) => el("tr", {},
    el("td", { text: one.ref }), el("td", { text: one.settings.model_id }),
    el("td", { class: "num", text: number(one.settings.batch_size) }),
    el("td", { class: "num", text: number(one.settings.temperature, 2) }))));
}

start(async (who) => {
  keyFacts(who);
  $("#logs-form").addEventListener("submit", logLines);
  $("#batch-form").addEventListener("submit", uploadBatch);
  $("#batch-download").addEventListener("click", downloadBatch);
  await Promise.all([health(who), stats(), recentJobs(), registries()]);
  await logLines();
});
