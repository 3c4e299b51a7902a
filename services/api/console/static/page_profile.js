// /ui/jobs/{id}/profile: the job's dataset profile as charts, one card per field.
import { api } from "./api.js";
import { barChart, columnChart } from "./charts.js";
import { $, el, jobIdOfPage, jobUrl, number, percent, start } from "./ui.js";

const COLLAPSE_SHARE = 0.2; // one value in a fifth of the records...
const OVER_UNIFORM = 2; // ...and at least twice the share it would have if the field's distinct values were even

const collapsed = (share, field) => share >= COLLAPSE_SHARE && field.distinct > 1
  && share >= OVER_UNIFORM / field.distinct;

function bucketLabel(bucket) {
  return bucket.start === bucket.end ? number(bucket.start, 2) : `${number(bucket.start, 2)}–${number(bucket.end, 2)}`;
}

function fieldCard(field) {
  const id = `field-${field.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const card = el("section", { class: "card", "aria-labelledby": id, "data-field": field.name },
    el("h2", { id }, el("code", { text: field.name }), " ",
      el("span", { class: "muted", text: Object.keys(field.types).join(", ") || field.schema_types.join(", ") })));
  const facts = [
    field.distinct !== null && `${number(field.distinct)} distinct (${percent(field.distinct_ratio ?? 0)} of values)`,
    field.missing_share !== null && `${percent(field.missing_share, 1)} missing`,
  ].filter(Boolean);
  card.append(el("p", { text: facts.join(" · ") }));
  if (field.top_share !== null && collapsed(field.top_share, field)) {
    card.append(el("p", { class: "warn", text: `“${field.top[0].value}” is in ${percent(field.top_share)} of the records` }));
  }
  if (field.top.length) {
    card.append(el("h3", { text: "Top values" }), barChart(field.top.map((top) => ({ label: top.value, share: top.share })), {
      label: `Most frequent values of ${field.name}`, hot: (bar) => collapsed(bar.share, field) }));
  }
  const spread = field.numeric || field.length;
  if (spread && spread.histogram.length) {
    const what = field.numeric ? "Values" : "String lengths";
    card.append(el("h3", { text: `${what}: min ${number(spread.min, 2)}, mean ${number(spread.mean, 2)}, max ${number(spread.max, 2)}` }),
      columnChart(spread.histogram.map((bucket) => ({ label: bucketLabel(bucket), value: bucket.count })),
        { label: `${what} of ${field.name}, histogram`, height: 90 }));
  }
  return card;
}

start(async () => {
  const jobId = jobIdOfPage();
  $("#job-id").textContent = jobId;
  $("#job-link").href = jobUrl(jobId);
  const profile = await api(`/v1/jobs/${encodeURIComponent(jobId)}/profile`);
  $("#profile-summary").textContent = `${number(profile.records)} records profiled (job ${profile.status}), `
    + `${profile.fields.length} fields${profile.skipped_fields.length ? `; not profiled: ${profile.skipped_fields.join(", ")}` : ""}.`;
  $("#profile-fields").replaceChildren(...profile.fields.map(fieldCard));
});
