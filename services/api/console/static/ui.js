// What every page shares: building elements, showing problems, the header, signing in and out.
import { ApiError, getKey, me, signIn, signOut } from "./api.js";

export const $ = (selector, root = document) => root.querySelector(selector);

// el("a", {href: "/ui"}, "Jobs"): attributes (on* are listeners, `text` is textContent), then children.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElementNS(tag === "svg" || attributes.svg ? "http://www.w3.org/2000/svg"
    : "http://www.w3.org/1999/xhtml", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "svg" || value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

export const number = (value, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value) ? "–"
    : Number(value).toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const percent = (share, digits = 0) => `${number(share * 100, digits)}%`;
export const time = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { hour12: false }) : "–");

export function duration(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export const statusBadge = (status) => el("span", { class: `status ${status}`, text: status });
export const jobUrl = (jobId, tail = "") => `/ui/jobs/${encodeURIComponent(jobId)}${tail}`;
export const jobIdOfPage = () => document.body.dataset.jobId;

// A problem (an ApiError, or any error) in a box: its title, detail and status.
export function showProblem(box, error, title = "The request was refused") {
  box.replaceChildren(
    el("h2", { text: error instanceof ApiError ? `${title} (${error.status} ${error.problem.title || ""})` : title }),
    el("p", { class: "detail", text: error.message }),
  );
  box.hidden = false;
  return box;
}

export const clearProblem = (box) => { box.hidden = true; box.replaceChildren(); };

function markCurrentLink() {
  for (const link of document.querySelectorAll("header nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
}

function showSignIn() {
  const section = $("#sign-in");
  section.hidden = false;
  $("#content").hidden = true;
  $("#api-key").focus();
  $("#sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#sign-in-error");
    error.textContent = "";
    $("#api-key").removeAttribute("aria-invalid");
    try {
      await signIn($("#api-key").value.trim());
      location.reload();
    } catch (failure) {
      $("#api-key").setAttribute("aria-invalid", "true");
      error.textContent = failure instanceof ApiError ? failure.message : `Could not reach the API: ${failure.message}`;
    }
  });
}

function showWho(who) {
  $("#who").textContent = `tenant ${who.tenant}${who.name ? ` · ${who.name}` : ""}`;
  const button = $("#sign-out");
  button.hidden = false;
  button.addEventListener("click", () => {
    signOut();
    location.assign("/ui");
  });
}

// Runs a page: signs in first when this tab has no key, then `init(who)`; marks `sdg-ready` once it has drawn.
export async function start(init) {
  markCurrentLink();
  if (!getKey()) {
    showSignIn();
    performance.mark("sdg-ready");
    return;
  }
  let who;
  try {
    who = await me();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) {
      signOut();
      showSignIn();
      $("#sign-in-error").textContent = "The key kept for this tab is no longer valid; sign in again.";
      return;
    }
    showProblem($("#page-problem"), failure, "Could not reach the API");
    return;
  }
  showWho(who);
  $("#content").hidden = false;
  try {
    await init(who);
  } catch (failure) {
    showProblem($("#page-problem"), failure, "This page could not be loaded");
  }
  performance.mark("sdg-ready");
}
