// /ui: the tenant's jobs, newest first, with a cursor for older ones.
import { api, query } from "./api.js";
import { $, el, jobUrl, number, start, statusBadge, time } from "./ui.js";

let cursor = null;

function row(job) {
  const what = job.record_type || (job.kind === "batch" ? "prompt batch" : "inline schema");
  return el("tr", {},
    el("td", {}, el("a", { href: jobUrl(job.job_id), text: job.job_id.slice(0, 12) })),
    el("td", {}, statusBadge(job.status)),
    el("td", { class: "num", text: `${number(job.records_generated)} / ${number(job.count)}` }),
    el("td", { text: what }),
    el("td", { text: job.profile || "–" }),
    el("td", { text: time(job.submitted_at) }));
}

async function load(more = false) {
  const page = await api(`/v1/jobs${query({ size: 20, status: $("#jobs-status").value, after: more ? cursor : null })}`);
  const body = $("#jobs-table tbody");
  if (!more) body.replaceChildren();
  body.append(...page.jobs.map(row));
  cursor = page.next;
  $("#jobs-more").hidden = !cursor;
  $("#jobs-empty").hidden = body.children.length > 0;
}

start(async () => {
  $("#jobs-filter").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  $("#jobs-more").addEventListener("click", () => load(true));
  await load();
});
