/* Postmaster / SNDS: Google Postmaster Tools snapshots per domain and Microsoft SNDS rows per
   IP, each with its history (30 newest), and "Refresh now" buttons (admin-read suffices).
   List hygiene: engagement buckets, sunset candidates with their projected impact, the sunset
   (a confirmation naming the count; canManageSuppressions only) and past runs with Revert. */
"use strict";

(() => {
  const { h } = LM;
  const ratio = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(2)} %`);

  function historyTable(rows, columns) {
    return h("details", { class: "history" }, h("summary", {}, `History (${rows.length})`), LM.table(columns, rows));
  }

  const GOOGLE = [["Date", (s) => s.date], ["Reputation", (s) => s.domainReputation || "–"],
    ["Spam rate", (s) => ratio(s.userReportedSpamRatio)], ["SPF", (s) => ratio(s.spfSuccessRatio)],
    ["DKIM", (s) => ratio(s.dkimSuccessRatio)], ["DMARC", (s) => ratio(s.dmarcSuccessRatio)],
    ["Fetched", (s) => LM.fmtTime(s.fetchedAt)]];
  const MICROSOFT = [["Activity start", (s) => LM.fmtTime(s.activityStart)], ["Filter", (s) => s.filterResult],
    ["Complaints", (s) => ratio(s.complaintRate)], ["Trap hits", (s) => String(s.trapMessageCount ?? "–")],
    ["Recipients", (s) => String(s.messageRecipients ?? "–")], ["Fetched", (s) => LM.fmtTime(s.fetchedAt)]];

  function feedSection(id, title, data, items, key, columns) {
    const rows = items.map((item) => h("section", { class: "feed-target", "data-target": item[key] },
      h("h3", {}, item[key]), item.latest ? LM.table(columns, [item.latest]) : h("p", {}, "No data yet."),
      item.history.length > 1 ? historyTable(item.history, columns) : ""));
    const state = data.configured ? `configured · every ${data.intervalHours} h` : "not configured (see Settings)";
    return h("div", { id }, h("h2", {}, title), h("p", { class: "feed-state" }, state),
      h("button", { type: "button", class: "refresh", "data-feed": id }, "Refresh now"),
      h("p", { class: "feed-result", "aria-live": "polite" }), ...rows);
  }

  function refreshText(feed, r) {
    if (!r.ran) return `Not run: ${r.reason}`;
    if (feed === "postmaster") {
      const trips = r.trippedDomains.length ? ` · tripped ${r.trippedDomains.join(", ")}` : "";
      const errors = r.errors.length ? ` · ${r.errors.length} error(s): ${r.errors.map((e) => e.message).join("; ")}` : "";
      return `Fetched ${r.fetched} day(s)${trips}${errors}`;
    }
    return `Parsed ${r.rowsParsed} row(s), ${r.rowsPersisted} changed`;
  }

  async function renderFeeds(view) {
    const [google, microsoft] = await Promise.all([LM.get("/admin/api/postmaster"), LM.get("/admin/api/snds")]);
    const parts = [feedSection("postmaster", "Google Postmaster Tools", google, google.domains, "domain", GOOGLE),
      feedSection("snds", "Microsoft SNDS", microsoft, microsoft.ips, "ip", MICROSOFT)];
    for (const part of parts) {
      const old = view.querySelector(`#${part.id}`);
      if (old) old.replaceWith(part); else view.append(part);
      part.querySelector("button.refresh").onclick = async () => {
        try {
          const r = await LM.post(`/admin/api/${part.id}/refresh`, {});
          await renderFeeds(view);
          view.querySelector(`#${part.id} .feed-result`).textContent = refreshText(part.id, r);
        } catch (err) { LM.showError(err); }
      };
    }
  }

  async function feeds(view) {
    view.append(h("h1", {}, "Postmaster / SNDS"));
    await renderFeeds(view);
  }

  function impactList(impact) {
    if (!impact) return h("p", { id: "hygiene-impact" }, "No console sends in the last 90 days.");
    return h("ul", { id: "hygiene-impact" },
      h("li", {}, `Bounce rate ${ratio(impact.currentOverallBounceRate)} → ${ratio(impact.projectedBounceRate)}`),
      h("li", {}, `Complaint rate ${ratio(impact.currentOverallComplaintRate)} → ${ratio(impact.projectedComplaintRate)}`),
      h("li", {}, `${impact.cohortRecentSends} of ${impact.recentTotalSends} recent sends went to candidates`));
  }

  function sunsetForm(view, count) {
    if (!LM.can("canManageSuppressions") || !count) return h("div", { id: "hygiene-sunset" });
    const form = h("form", { id: "hygiene-sunset" },
      LM.field("Scope", { name: "scope" }, "select", [["marketing", "marketing"], ["all", "all"]]),
      LM.field("Notes", { name: "notes", maxlength: "500" }),
      h("button", { type: "submit" }, `Sunset ${count} contact(s)`));
    form.onsubmit = async (e) => {
      e.preventDefault();
      const body = LM.formData(form);
      if (!window.confirm(`Suppress ${count} contact(s) with reason list_cleaning? You can revert it later.`)) return;
      try {
        const r = await LM.post("/admin/api/hygiene/sunset", { confirmCount: count, scope: body.scope,
          notes: body.notes || undefined });
        await renderHygiene(view, `Suppressed ${r.suppressed}, skipped ${r.skipped} (run ${r.runId}).`);
      } catch (err) { LM.showError(err); }
    };
    return form;
  }

  function runsTable(view, runs) {
    const revert = (run) => (run.revertedAt || !LM.can("canManageSuppressions") ? "" : h("button", {
      type: "button", class: "revert", onclick: async () => {
        if (!window.confirm(`Lift the ${run.suppressed} suppression(s) of this sunset?`)) return;
        try {
          const r = await LM.post(`/admin/api/hygiene/sunsets/${run.runId}/revert`, {});
          await renderHygiene(view, `Lifted ${r.lifted}, skipped ${r.skipped}.`);
        } catch (err) { LM.showError(err); }
      } }, "Revert"));
    return h("div", { id: "hygiene-runs" }, h("h2", {}, "Sunsets"), LM.table([
      ["When", (r) => LM.fmtTime(r.at)], ["By", (r) => r.by], ["Scope", (r) => r.scope],
      ["Suppressed", (r) => String(r.suppressed)], ["Reverted", (r) => LM.fmtTime(r.revertedAt)],
      ["", revert]], runs));
  }

  async function renderHygiene(view, message) {
    const [data, runs] = await Promise.all([LM.get("/admin/api/hygiene?refresh=1"),
      LM.get("/admin/api/hygiene/sunsets")]);
    const c = data.sunsetCandidate;
    const parts = [
      h("p", { id: "hygiene-summary" }, `${data.totalSubscribers} subscribers, ${data.totalWithSends} mailed`,
        ` · computed ${LM.fmtTime(data.computedAt)}`),
      h("div", { id: "hygiene-buckets" }, LM.table([["Bucket", (b) => b.label], ["Contacts", (b) => String(b.count)],
        ["Share", (b) => LM.pct(b.pctOfTotal)]], data.buckets)),
      h("p", { id: "hygiene-candidates" }, `Sunset candidates: ${c.count} (${LM.pct(c.pctOfTotal)})`),
      impactList(c.projectedImpact), sunsetForm(view, c.count), runsTable(view, runs.runs)];
    view.querySelector("#hygiene-result").textContent = message || "";
    for (const part of parts) {
      const old = view.querySelector(`#${part.id}`);
      if (old) old.replaceWith(part); else view.append(part);
    }
  }

  async function hygiene(view) {
    view.append(h("h1", {}, "List hygiene"), h("p", { id: "hygiene-result", "aria-live": "polite" }));
    await renderHygiene(view, "");
  }

  // pages_console.js lists both in the navigation already: take over their pages only
  LM.page("postmaster", feeds, LM.nav.some((n) => n.name === "postmaster") ? undefined : { label: "Postmaster / SNDS" });
  LM.page("hygiene", hygiene, LM.nav.some((n) => n.name === "hygiene") ? undefined : { label: "List hygiene" });
})();
