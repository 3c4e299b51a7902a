// /ui/new: design a job (a record type or a JSON Schema), preview a few records, submit. The API's problem+json is
// shown; a JSON pointer in it is marked in the schema editor, a field it names is marked at that field.
import { ApiError, api } from "./api.js";
import { JobStream } from "./live.js";
import { lineColumn, locate, pointerIn } from "./pointer.js";
import { fillTable } from "./table.js";
import { $, clearProblem, el, jobUrl, showProblem, start } from "./ui.js";
import { ENDINGS } from "./vocabulary.js";

const STARTER = {
  type: "object",
  title: "member",
  properties: {
    name: { type: "string", maxLength: 40, "x-sdg-sampler": { kind: "person", attribute: "first_name" } },
    city: { type: "string", maxLength: 40, "x-sdg-sampler": { kind: "person", attribute: "city" } },
    tier: { type: "string", enum: ["basic", "plus", "pro"],
      "x-sdg-sampler": { kind: "choice", values: ["basic", "plus", "pro"], weights: [6, 3, 1] } },
  },
  required: ["name", "city", "tier"],
  additionalProperties: false,
};
const FIELDS = ["record_type", "count", "seed", "locale", "profile", "instructions", "examples"];
const PREVIEW_COUNT = 3;
let recordTypes = [];

const source = () => document.querySelector("input[name=source]:checked").value;

class FormMistake extends Error {
  constructor(field, message, pointer) { super(message); this.field = field; this.pointer = pointer; }
}

function parseJson(field, text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(error.message);
    throw new FormMistake(field, `not valid JSON: ${error.message}`, at ? Number(at[1]) : null);
  }
}

function body(count) {
  const job = { count };
  if (source() === "schema") job.schema = parseJson("schema", $("#schema").value);
  else job.record_type = $("#record-type").value;
  const seed = $("#seed").value.trim();
  if (seed) job.seed = Number(seed);
  for (const name of ["locale", "profile", "instructions"]) {
    const value = $(`#${name}`).value.trim();
    if (value) job[name] = value;
  }
  const examples = $("#examples").value.trim();
  if (examples) job.examples = parseJson("examples", examples);
  return job;
}

const inputOf = (field) => $(`#${field === "record_type" ? "record-type" : field}`);

function clearMistakes() {
  clearProblem($("#form-problem"));
  for (const field of ["schema", ...FIELDS]) {
    inputOf(field).removeAttribute("aria-invalid");
    $(`#${field}-error`).replaceChildren();
  }
  delete $("#schema").dataset.errorPointer;
}

function markField(field, message) {
  inputOf(field).setAttribute("aria-invalid", "true");
  $(`#${field}-error`).textContent = message;
}

// Marks a place in the schema editor: the span selected in the textarea, and an excerpt with the span highlighted.
function markSchema(start, end, heading) {
  const editor = $("#schema");
  const text = editor.value;
  const where = lineColumn(text, start);
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const lineEnd = text.indexOf("\n", end) === -1 ? text.length : text.indexOf("\n", end);
  $("#schema-error").replaceChildren(
    el("p", { class: "where", text: `${heading} (line ${where.line}, column ${where.column})` }),
    el("pre", { class: "excerpt" }, text.slice(lineStart, start),
      el("mark", { text: text.slice(start, Math.max(end, start + 1)) }), text.slice(Math.max(end, start + 1), lineEnd)));
  editor.setAttribute("aria-invalid", "true");
  editor.dataset.errorLine = String(where.line);
  editor.focus();
  editor.setSelectionRange(start, Math.max(end, start + 1));
}

function showSchemaPointer(message) {
  const pointer = pointerIn(message);
  if (pointer === null || source() !== "schema") return false;
  let span = null;
  try {
    span = locate($("#schema").value, pointer);
  } catch {
    return false;
  }
  if (!span) return false;
  $("#schema").dataset.errorPointer = pointer;
  markSchema(span.start, span.end, `At ${pointer || "the root"}${span.exact ? "" : ` (nearest: ${span.pointer || "the root"})`}`);
  return true;
}

function showRefusal(failure) {
  if (failure instanceof FormMistake) {
    if (failure.field === "schema" && failure.pointer !== null) markSchema(failure.pointer, failure.pointer + 1, failure.message);
    else markField(failure.field, failure.message);
    return;
  }
  showProblem($("#form-problem"), failure, "The API refused the job");
  if (!(failure instanceof ApiError)) return;
  for (const error of failure.problem.errors || []) {
    const [where, field] = error.loc || [];
    if (where === "body" && FIELDS.includes(field)) markField(field, error.msg);
    if (where === "body" && field === "schema") $("#schema-error").textContent = error.msg;
  }
  showSchemaPointer(failure.problem.detail || "");
}

async function submit(event) {
  event.preventDefault();
  clearMistakes();
  const button = $("#submit-job");
  button.disabled = true;
  try {
    const job = await api("/v1/jobs", { method: "POST", body: body(Number($("#count").value)) });
    location.assign(jobUrl(job.job_id));
  } catch (failure) {
    showRefusal(failure);
    button.disabled = false;
  }
}

async function preview() {
  clearMistakes();
  const section = $("#preview");
  const records = [];
  try {
    const job = await api("/v1/jobs", { method: "POST", body: body(PREVIEW_COUNT) });
    section.hidden = false;
    $("#preview-status").replaceChildren(`Generating ${PREVIEW_COUNT} records with these settings… `,
      el("a", { href: jobUrl(job.job_id), text: "open the preview job" }));
    fillTable($("#preview-table"), []);
    const stream = new JobStream(job.job_id, {
      onEvents(batch) {
        for (const { type, event } of batch) {
          if (type === "RecordGenerated") records.push(event);
          if (ENDINGS.has(type)) {
            $("#preview-status").textContent = `${type === "JobCompleted" ? "Done" : type}: ${records.length} records.`;
          }
        }
        fillTable($("#preview-table"), records.sort((a, b) => a.index - b.index));
      },
    });
    await stream.open();
  } catch (failure) {
    showRefusal(failure);
  }
}

function showSource() {
  const own = source() === "schema";
  $("#schema-field").hidden = !own;
  $("#record-type-field").hidden = own;
}

function describeType() {
  const chosen = recordTypes.find((type) => type.ref === $("#record-type").value);
  $("#record-type-help").textContent = chosen ? chosen.description : "";
}

start(async () => {
  $("#schema").value = JSON.stringify(STARTER, null, 2);
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", showSource);
  $("#record-type").addEventListener("change", describeType);
  $("#job-form").addEventListener("submit", submit);
  $("#preview-job").addEventListener("click", preview);
  const [types, profiles] = await Promise.all([api("/v1/record-types"), api("/v1/profiles")]);
  recordTypes = types.record_types;
  $("#record-type").replaceChildren(...recordTypes.map((type) =>
    el("option", { value: type.ref, text: `${type.name} (v${type.version}, ${type.tenant})` })));
  describeType();
  $("#profile").append(...profiles.profiles.filter((profile) => !profile.retired)
    .map((profile) => el("option", { value: profile.ref, text: profile.ref })));
  if (new URLSearchParams(location.search).get("source") === "schema") {
    document.querySelector("input[value=schema]").checked = true;
  }
  showSource();
});
