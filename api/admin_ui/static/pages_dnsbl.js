/* DNSBL: the configured lists, the latest verdict per target and list, and a recheck button. */
"use strict";

(() => {
  const { h } = LM;

  function summary(data) {
    const counts = { listed: 0, error: 0, clean: 0 };
    for (const c of data.checks) counts[c.result] = (counts[c.result] || 0) + 1;
    return h("p", { id: "dnsbl-summary" },
      `${data.checks.length} checks: ${counts.listed} listed, ${counts.error} errors, ${counts.clean} clean. `,
      `Latest run ${data.latestRunAt ? LM.fmtTime(data.latestRunAt) : "never"}; `,
      data.intervalHours ? `scheduled every ${data.intervalHours} h.` : "no scheduled scans.");
  }

  function checksTable(checks) {
    const rank = { listed: 0, error: 1, clean: 2 };
    const rows = [...checks].sort((a, b) => (rank[a.result] - rank[b.result]) || a.target.localeCompare(b.target));
    return h("div", { id: "dnsbl-checks" }, LM.table([
      ["Target", (c) => c.target], ["Kind", (c) => c.targetKind], ["List", (c) => c.label || c.zone],
      ["Result", (c) => LM.status(c.result)], ["Codes", (c) => (c.returnCodes || []).join(", ")],
      ["Checked", (c) => LM.fmtTime(c.checkedAt)], ["Listed since", (c) => LM.fmtTime(c.listedSince)],
      ["Error", (c) => c.errorMessage || ""]], rows));
  }

  function listsTable(settings) {
    const dnsbl = (settings && settings.dnsbl) || {};
    const lists = dnsbl.lists || [];
    return h("details", { id: "dnsbl-lists" }, h("summary", {}, `Lists (${lists.length})`),
      LM.table([["Zone", (l) => l.zone], ["Label", (l) => l.label || ""], ["Type", (l) => l.type],
        ["127.0.0.1 is an error", (l) => (l.loopbackIsError ? "yes" : "")],
        ["Sender subdomains too", (l) => (l.subdomains ? "yes" : "")]], lists),
      h("p", { class: "muted" }, `Dedicated IPs: ${(dnsbl.dedicatedIps || []).join(", ") || "none"}.`));
  }

  async function dnsbl(view) {
    view.append(h("h1", {}, "DNSBL"));
    let data;
    try { data = await LM.get("/admin/api/dnsbl"); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404) { view.append(LM.unavailable("DNSBL")); return; }
      throw err;
    }
    let settings = null;
    try { settings = (await LM.get("/admin/api/settings")).settings; } catch (_) { settings = null; }
    const result = h("p", { id: "dnsbl-result", "aria-live": "polite" });
    const button = h("button", { type: "button", id: "dnsbl-recheck", disabled: !LM.can("canRead"), onclick: async () => {
      button.disabled = true;
      result.textContent = "Checking every target…";
      try {
        const r = await LM.post("/admin/api/dnsbl/recheck", {});
        result.textContent = r.ran
          ? `Checked ${r.totalChecks}: ${r.listedCount} listed, ${r.errorCount} errors, ${r.transientCount} without an answer.`
          : `Nothing checked (${r.reason === "disabled" ? "no lists configured" : "no targets configured"}).`;
        const fresh = await LM.get("/admin/api/dnsbl");
        view.querySelector("#dnsbl-summary").replaceWith(summary(fresh));
        view.querySelector("#dnsbl-checks").replaceWith(checksTable(fresh.checks));
      } catch (err) { result.textContent = ""; LM.showError(err); }
      button.disabled = false;
    } }, "Recheck now");
    view.append(summary(data), h("div", { class: "toolbar" }, button), result, checksTable(data.checks),
      listsTable(settings));
  }

  // pages_console.js lists DNSBL in the navigation already: take over its page only
  LM.page("dnsbl", dnsbl, LM.nav.some((n) => n.name === "dnsbl") ? undefined : { label: "DNSBL" });
})();
