// /ui/jobs/{id}/records: the job's records page by page, full-text search and field filters, a record's detail
// with its provenance, regenerate, export.
import { api, query } from "./api.js";
import { wireExports } from "./exports.js";
import { fillTable } from "./table.js";
import { $, clearProblem, el, jobIdOfPage, jobUrl, showProblem, start } from "./ui.js";

const pages = { cursors: [null], at: 0, next: null };
let selected = null;

const recordsPath = (jobId) => `/v1/jobs/${encodeURIComponent(jobId)}/records`;

function filters() {
  return { q: $("#q").value.trim(), where: $("#where").value.trim() || null, size: $("#size").value };
}

async function load(jobId) {
  clearProblem($("#records-problem"));
  const { q, where, size } = filters();
  let page;
  try {
    page = await api(recordsPath(jobId) + query({ q, where, size, after: pages.cursors[pages.at] }));
  } catch (failure) {
    showProblem($("#records-problem"), failure, "The search could not be run");
    return;
  }
  pages.next = page.next;
  fillTable($("#records-table"), page.records, (row) => el("button", {
    type: "button", class: "secondary", text: "Details", "aria-label": `Details of record ${row.index}`,
    onclick: () => showDetail(row.record_id) }));
  $("#records-empty").hidden = page.records.length > 0;
  const first = pages.at * Number(size);
  $("#records-range").textContent = page.records.length ? `(${first + 1}–${first + page.records.length}${q ? `, matching “${q}”` : ""})` : "";
  $("#prev-page").disabled = pages.at === 0;
  $("#next-page").disabled = !pages.next;
}

function provenanceRows(found) {
  const facts = { event: `${found.event_type} #${found.sequence}`, occurred_at: found.occurred_at,
    event_id: found.event_id, correlation_id: found.correlation_id, revision: found.revision, ...found.provenance };
  return Object.entries(facts).map(([name, value]) => el("tr", {},
    el("th", { scope: "row", text: name }),
    el("td", {}, el("code", { text: typeof value === "object" ? JSON.stringify(value) : String(value) }))));
}

async function showDetail(recordId) {
  selected = recordId;
  for (const row of document.querySelectorAll("#records-table tbody tr")) {
    row.classList.toggle("selected", row.dataset.recordId === recordId);
  }
  const panel = $("#detail");
  panel.hidden = false;
  $("#regenerate-status").textContent = "";
  const [record, found] = await Promise.all([
    api(`/v1/records/${encodeURIComponent(recordId)}`),
    api(`/v1/records/${encodeURIComponent(recordId)}/provenance`).catch((failure) => ({ failure })),
  ]);
  $("#detail-title").textContent = `Record ${record.index} (revision ${record.revision})`;
  $("#detail-record").textContent = JSON.stringify(record.record, null, 2);
  $("#provenance tbody").replaceChildren(...(found.failure
    ? [el("tr", {}, el("td", { text: found.failure.message }))] : provenanceRows(found)));
  panel.focus();
}

async function regenerate() {
  try {
    await api(`/v1/records/${encodeURIComponent(selected)}/regenerate`, { method: "POST" });
    $("#regenerate-status").textContent = "Asked for a new revision; it appears here once a worker has written it.";
  } catch (failure) {
    $("#regenerate-status").textContent = `Refused: ${failure.message}`;
  }
}

start(async () => {
  const jobId = jobIdOfPage();
  $("#job-id").textContent = jobId;
  $("#job-link").href = jobUrl(jobId);
  const params = new URLSearchParams(location.search);
  $("#q").value = params.get("q") || "";
  $("#where").value = params.get("where") || "";
  const restart = () => { pages.cursors = [null]; pages.at = 0; return load(jobId); };
  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); restart(); });
  $("#clear-search").addEventListener("click", () => { $("#q").value = ""; $("#where").value = ""; restart(); });
  $("#size").addEventListener("change", restart);
  $("#next-page").addEventListener("click", () => {
    pages.cursors[pages.at + 1] = pages.next;
    pages.at += 1;
    load(jobId);
  });
  $("#prev-page").addEventListener("click", () => { pages.at = Math.max(0, pages.at - 1); load(jobId); });
  $("#regenerate").addEventListener("click", regenerate);
  wireExports($("#export-buttons"), jobId, $("#records-problem"));
  await load(jobId);
});
