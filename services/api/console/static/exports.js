// Export buttons: a fresh job token makes a plain link, so the browser streams the download to disk itself.
import { jobToken } from "./api.js";
import { el, showProblem } from "./ui.js";

const FORMATS = { jsonl: "JSONL", csv: "CSV", parquet: "Parquet" };

async function download(jobId, format, problemBox) {
  try {
    const { export_url: url } = await jobToken(jobId);
    const link = el("a", { href: `${url}&format=${format}`, download: `sdg-${jobId}.${format}`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (failure) {
    showProblem(problemBox, failure, "The export could not be started");
  }
}

// Fills `container` with one download button per format.
export function wireExports(container, jobId, problemBox) {
  container.replaceChildren(...Object.entries(FORMATS).map(([format, name]) => el("button", {
    type: "button", class: "secondary", "data-format": format, text: `Download ${name}`,
    onclick: () => download(jobId, format, problemBox) })));
}
