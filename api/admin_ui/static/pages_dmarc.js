/* DMARC: upload a report, domains with alignment and the policy suggestion, a 14-day
   alignment chart, sources with tagging, recent reports, and the report mailbox. */
"use strict";

(() => {
  const { h } = LM;
  const BLOCKED = {
    already_reject: "already at reject", insufficient_reports: "needs 30 reports in 30 days",
    insufficient_volume: "needs 1,000 messages in 30 days", unknown_sources: "failing sources nobody tagged",
    alignment_below_threshold: "alignment too low", quarantine_hold: "hold at quarantine 100 for now",
  };

  /* Multipart upload: LM.api speaks JSON, so the same headers are set here by hand. */
  async function upload(file) {
    const s = LM.session || {};
    const headers = { "X-API-Token": s.token || "" };
    if (s.admin && s.tenant) headers["X-Tenant-Id"] = s.tenant;
    if (s.actor) headers["X-Actor"] = s.actor;
    const body = new FormData();
    body.append("file", file, file.name);
    const response = await fetch("/admin/api/dmarc/upload", { method: "POST", headers, body });
    let data = null;
    try { data = await response.json(); } catch (_) { data = { error: "bad_response" }; }
    if (!response.ok) throw new LM.ApiError(response.status, data);
    return data;
  }

  const policy = (d) => `${d.currentPolicy || "–"}${d.currentPct === null ? "" : ` ${d.currentPct} %`}` +
    (d.currentTesting ? " (testing)" : "");
  const suggestion = (d) => (d.progression
    ? h("strong", { class: "suggest" }, `→ ${d.progression.policy} ${d.progression.pct} %`)
    : h("span", { class: "muted" }, BLOCKED[d.progressionBlockedBy] || d.progressionBlockedBy || ""));

  /* Daily alignment bars, 0..100 %; a day without reports has no bar. */
  function seriesChart(domain) {
    const W = 480, H = 100, points = domain.series || [], bar = W / Math.max(1, points.length);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H + 16}`); svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `Alignment per day for ${domain.domain}, last ${points.length} days`);
    points.forEach((p, i) => {
      if (p.alignmentRate === null) return;
      const r = document.createElementNS(svg.namespaceURI, "rect"), hgt = p.alignmentRate * H;
      const color = p.alignmentRate >= 0.99 ? "#1a7f37" : p.alignmentRate >= 0.9 ? "#9a6700" : "#c62828";
      Object.entries({ x: i * bar + 2, y: H - hgt, width: bar - 4, height: hgt, fill: color })
        .forEach(([k, v]) => r.setAttribute(k, v));
      const title = document.createElementNS(svg.namespaceURI, "title");
      title.textContent = `${p.day}: ${LM.pct(p.alignmentRate)}`;
      r.append(title); svg.append(r);
    });
    const label = document.createElementNS(svg.namespaceURI, "text");
    Object.entries({ x: 2, y: H + 13, "font-size": 11, fill: "#5b6470" }).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = points.length ? `${points[0].day} … ${points[points.length - 1].day}` : "";
    svg.append(label);
    return svg;
  }

  function domainsBlock(domains) {
    const table = LM.table([["Domain", (d) => d.domain], ["Policy", policy], ["Alignment", (d) => LM.pct(d.alignmentRate)],
      ["Messages", (d) => d.totalMessages], ["Failing", (d) => d.failCount], ["Reports", (d) => d.reportCount],
      ["Latest", (d) => LM.fmtTime(d.latestRangeEnd)], ["Suggestion", suggestion]], domains);
    const charts = domains.map((d) => h("figure", { class: "dmarc-series" }, h("figcaption", {}, d.domain),
      seriesChart(d)));
    return h("section", { id: "dmarc-domains" }, h("h2", {}, "Domains"), table, charts);
  }

  function tagButtons(source, refresh) {
    const tag = async (ignored) => {
      const label = window.prompt(`Label for ${source.sourceIp}`, source.label || "");
      if (label === null) return;
      try {
        await LM.api("PUT", `/admin/api/dmarc/sources/${encodeURIComponent(source.sourceIp)}`, { label, ignored });
        await refresh();
      } catch (err) { LM.showError(err); }
    };
    const untag = async () => {
      try { await LM.api("DELETE", `/admin/api/dmarc/sources/${encodeURIComponent(source.sourceIp)}`); await refresh(); }
      catch (err) { LM.showError(err); }
    };
    return h("span", { class: "toolbar" },
      h("button", { type: "button", class: "secondary", onclick: () => tag(false) }, "Tag known"),
      h("button", { type: "button", class: "secondary", onclick: () => tag(true) }, "Ignore"),
      source.tagSource === "db" ? h("button", { type: "button", class: "secondary", onclick: untag }, "Remove tag") : null);
  }

  function sourcesBlock(sources, refresh) {
    const tagText = (s) => (s.label ? `${s.label}${s.ignored ? " (ignored)" : ""} · ${s.tagSource}` : "untagged");
    return h("section", { id: "dmarc-sources" }, h("h2", {}, "Sources (30 days)"), LM.table([
      ["Source IP", (s) => s.sourceIp], ["Domain", (s) => s.domain], ["Messages", (s) => s.totalMessages],
      ["Pass", (s) => s.passCount], ["Fail", (s) => s.failCount], ["Days", (s) => s.daysSeen],
      ["Last seen", (s) => LM.fmtTime(s.lastSeen)], ["DKIM / SPF", (s) => `${s.dkimResult} / ${s.spfResult}`],
      ["Disposition", (s) => s.dispositionApplied], ["Tag", tagText], ["", (s) => tagButtons(s, refresh)]], sources));
  }

  function reportsBlock(reports) {
    return h("section", { id: "dmarc-reports" }, h("h2", {}, "Recent reports"), LM.table([
      ["Reporter", (r) => r.orgName], ["Report id", (r) => r.reportId], ["Domain", (r) => r.domain],
      ["Day", (r) => r.day], ["Messages", (r) => r.totalMessages], ["Alignment", (r) => LM.pct(r.alignmentRate)],
      ["Via", (r) => r.channel]], reports));
  }

  function mailboxBlock(box, refresh) {
    const result = h("span", { id: "dmarc-poll-result", "aria-live": "polite" });
    const poll = h("button", { type: "button", class: "secondary", disabled: !box.configured, onclick: async () => {
      poll.disabled = true;
      try {
        const r = await LM.post("/admin/api/dmarc/mailbox/poll", {});
        result.textContent = r.ran ? `${r.messages} messages, ${r.reportsIngested} reports, ${r.failed} failed.` : "Not configured.";
        await refresh();
      } catch (err) { LM.showError(err); }
      poll.disabled = false;
    } }, "Poll mailbox now");
    const where = box.configured ? `${box.username}@${box.host}:${box.port} (${box.tls}), folder ${box.folder}, ` +
      `every ${box.intervalMinutes} min${box.enabled ? "" : ", disabled"}` : "No report mailbox configured (PUT /dmarc/mailbox, admin).";
    return h("section", { id: "dmarc-mailbox" }, h("h2", {}, "Report mailbox"), h("p", { class: "muted" }, where),
      h("div", { class: "toolbar" }, poll, result));
  }

  function uploadForm(onDone) {
    const result = h("p", { id: "dmarc-upload-result", "aria-live": "polite" });
    const input = h("input", { type: "file", name: "file", accept: ".xml,.gz,.zip", required: true });
    const form = h("form", { id: "dmarc-upload", class: "inline", onsubmit: async (e) => {
      e.preventDefault();
      if (!input.files.length) return;
      LM.showError(null);
      try {
        const r = await upload(input.files[0]);
        result.textContent = `${r.duplicate ? "Already ingested" : "Ingested"}: ${r.orgName} report ${r.reportId} for ` +
          `${r.domain}, ${r.totalMessages} messages (${r.passCount} aligned)` +
          (r.additionalReports ? `, plus ${r.additionalReports} more.` : ".");
        form.reset();
        await onDone();
      } catch (err) { result.textContent = ""; LM.showError(err); }
    } }, h("label", {}, "Report file", input),
    h("button", { type: "submit", disabled: !LM.can("canRead") }, "Upload report"));
    return h("section", {}, h("h2", {}, "Upload an aggregate report"), form, result);
  }

  async function dmarc(view) {
    view.append(h("h1", {}, "DMARC"));
    const body = h("div", { id: "dmarc-body" });
    let box = null;  // the mailbox changes only by PUT (admin): read once, not after every action
    const refresh = async () => {
      const [data, mailbox] = await Promise.all([LM.get("/admin/api/dmarc"),
        box ? Promise.resolve(box) : LM.get("/admin/api/dmarc/mailbox")]);
      box = mailbox;
      body.replaceChildren(domainsBlock(data.domains), sourcesBlock(data.sources, refresh),
        reportsBlock(data.recentReports), mailboxBlock(box, refresh),
        h("p", { class: "muted" }, data.retentionDays ? `Source rows are kept ${data.retentionDays} days.`
          : "Source rows are kept forever."));
    };
    view.append(uploadForm(refresh), body);
    try { await refresh(); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404 && err.body.error === "not_found") {
        body.replaceChildren(LM.unavailable("DMARC")); return;
      }
      throw err;
    }
  }

  // pages_console.js lists DMARC in the navigation already: take over its page only
  LM.page("dmarc", dmarc, LM.nav.some((n) => n.name === "dmarc") ? undefined : { label: "DMARC" });
})();
