// Records as a table: one column per top-level field (in order of first appearance), nested values as JSON.
import { el } from "./ui.js";

export function columnsOf(records) {
  const seen = new Set();
  for (const record of records) for (const name of Object.keys(record)) seen.add(name);
  return [...seen];
}

export const cell = (value) => (value === undefined ? "" : typeof value === "object" ? JSON.stringify(value)
  : String(value));

// rows: [{index, record, ...}]; `action(row)` gives an optional last cell (a button).
export function fillTable(table, rows, action) {
  const columns = columnsOf(rows.map((row) => row.record));
  table.querySelector("thead").replaceChildren(el("tr", {},
    el("th", { scope: "col", class: "num", text: "#" }),
    columns.map((name) => el("th", { scope: "col", text: name })),
    action ? el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Actions" })) : null));
  table.querySelector("tbody").replaceChildren(...rows.map((row) => el("tr", { "data-record-id": row.record_id },
    el("td", { class: "num", text: String(row.index) }),
    columns.map((name) => el("td", { text: cell(row.record[name]) })),
    action ? el("td", {}, action(row)) : null)));
}
