// Export buttons: a fresh job token makes a plain link, so the browser streams the download to disk itself.
import { jobToken } from "./api.js";
import { el, showProblem } from "./ui.js";

export function wireExports(container, jobId, problemBox) {
  container.addEventListener("click", async (event) => {
    const format = event.target.dataset && event.target.dataset.format;
    if (!format) return;
    try {
      const { export_url: url } = await jobToken(jobId);
      const link = el("a", { href: `${url}&format=${format}`, download: `sdg-${jobId}.${format}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (failure) {
      showProblem(problemBox, failure, "The export could not be started");
    }
  });
}
