/* Health: the circuit breaker's buckets (status, window rates, thresholds), the roll-up,
   trips and resumes, and resume buttons (shown only with canSendBroadcasts). */
"use strict";

(() => {
  const { h } = LM;
  const RATES = [["Bounce", "bounceRate"], ["Hard bounce", "hardBounceRate"], ["Complaint", "complaintRate"],
    ["Failure", "failureRate"]];

  function summary(data) {
    const tripped = data.buckets.filter((b) => b.status === "tripped").length;
    return h("p", { id: "health-summary" }, "Overall: ", data.status ? LM.status(data.status) : "no buckets yet",
      ` · ${data.buckets.length} buckets, ${tripped} tripped`,
      data.aggregate ? ` · ${data.aggregate.counters.sent} sent in the roll-up window` : "");
  }

  function resumeButton(view, bucket) {
    if (!LM.can("canSendBroadcasts") || bucket.status !== "tripped") return "";
    return h("button", { type: "button", class: "resume", "data-bucket": bucket.id, onclick: (e) => {
      e.stopPropagation();
      resume(view, { senderDomain: bucket.senderDomain, kind: bucket.kind });
    } }, "Resume");
  }

  function bucketsTable(view, data) {
    const rows = data.aggregate ? [...data.buckets, data.aggregate] : data.buckets;
    return h("div", { id: "health-buckets" }, LM.table([
      ["Bucket", (b) => (b.id === "agg" ? "roll-up (all)" : `${b.senderDomain} · ${b.kind}`)],
      ["Status", (b) => LM.status(b.status)],
      ["Sent", (b) => String(b.counters.sent)],
      ...RATES.map(([title, key]) => [title, (b) => LM.pct(b.rates[key])]),
      ["Reasons", (b) => (b.reasons || []).join("; ")],
      ["Held", (b) => (b.id === "agg" ? "" : String(b.held))],
      ["Window from", (b) => LM.fmtTime(b.windowStartedAt)],
      ["", (b) => resumeButton(view, b)]], rows));
  }

  function thresholdsList(t) {
    const items = Object.entries(t).map(([k, v]) => h("li", {}, h("code", {}, k), `: ${v}`));
    return h("details", { id: "health-thresholds" }, h("summary", {}, "Thresholds"), h("ul", {}, items));
  }

  function tripsTable(trips) {
    return h("div", { id: "health-trips" }, h("h2", {}, "Trips and resumes"), LM.table([
      ["When", (t) => LM.fmtTime(t.occurredAt)], ["Action", (t) => t.action],
      ["Bucket", (t) => t.resource.slug], ["By", (t) => t.actor],
      ["Reason", (t) => (t.after && t.after.reason) || ""]],
    trips));
  }

  async function resume(view, body) {
    const result = view.querySelector("#health-result");
    try {
      const r = await LM.post("/admin/api/health/resume", body);
      result.textContent = `Resumed ${r.resumed} bucket(s); ${r.released} send(s) released.`;
      await render(view, false);
    } catch (err) { LM.showError(err); }
  }

  async function render(view, first) {
    const [data, trips] = await Promise.all([LM.get("/admin/api/health"), LM.get("/admin/api/health/trips")]);
    const tripped = data.buckets.some((b) => b.status === "tripped");
    const all = LM.can("canSendBroadcasts") && tripped
      ? h("button", { type: "button", id: "health-resume-all", onclick: () => resume(view, {}) }, "Resume all")
      : "";
    const parts = [summary(data), h("div", { class: "toolbar", id: "health-toolbar" }, all),
      bucketsTable(view, data), thresholdsList(data.thresholds), tripsTable(trips.trips)];
    if (first) {
      view.append(h("p", { id: "health-result", "aria-live": "polite" }), ...parts);
      return;
    }
    for (const id of ["health-summary", "health-toolbar", "health-buckets", "health-thresholds", "health-trips"]) {
      view.querySelector(`#${id}`).replaceWith(parts.shift());
    }
  }

  async function health(view) {
    view.append(h("h1", {}, "Health"));
    try { await render(view, true); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404) { view.append(LM.unavailable("Health")); return; }
      throw err;
    }
  }

  // pages_console.js lists Health in the navigation already: take over its page only
  LM.page("health", health, LM.nav.some((n) => n.name === "health") ? undefined : { label: "Health" });
})();
