// vmlab dashboard: polls api/state every second and draws what it gets. Live charts with uPlot.
"use strict";

const charts = {};          // migration id -> uPlot; window.vmlabCharts for tests and the console
window.vmlabCharts = charts;
const FINAL = ["completed", "failed", "cancelled"];
let shownExperiment = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function num(v, digits) {
  if (v === null || v === undefined) return "-";
  return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
}

function fillTable(id, rows, cells) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = el("tr");
    for (const [text, numeric] of cells(r)) tr.appendChild(el("td", text, numeric ? "num" : null));
    body.appendChild(tr);
  }
}

function chartData(samples) {
  const t = [], mib = [], dirty = [], ops = [];
  for (const s of samples) {
    t.push(s.seconds);
    mib.push(s.bytesNetwork / 1048576);
    dirty.push(s.dirtyPagesPerSecond);
    ops.push(s.guestOpsPerSecond);
  }
  return [t, mib, dirty, ops];
}

function newChart(m, box) {
  const opts = {
    width: 560, height: 260,
    scales: { x: { time: false } },
    axes: [
      { label: "seconds" },
      { scale: "MiB", label: "MiB sent" },
      { scale: "rate", side: 1, label: "per second", grid: { show: false } },
    ],
    series: [
      {},
      { label: "MiB sent", scale: "MiB", stroke: "#1a5fb4", width: 2 },
      { label: "dirty pages/s", scale: "rate", stroke: "#e66100", width: 2 },
      { label: "guest ops/s", scale: "rate", stroke: "#2e7d32", width: 2 },
    ],
  };
  return new uPlot(opts, chartData(m.samples), box);
}

function drawMigrations(migrations) {
  const host = document.getElementById("charts");
  // Running migrations, then the most recent finished one, newest first.
  const running = migrations.filter(m => !FINAL.includes(m.status));
  const done = migrations.filter(m => FINAL.includes(m.status));
  const shown = running.concat(done.slice(-1)).reverse();
  const keep = new Set(shown.map(m => m.id));
  for (const id of Object.keys(charts)) {
    if (!keep.has(id)) {
      charts[id].destroy();
      delete charts[id];
      const box = document.getElementById("chart-" + id);
      if (box) box.remove();
    }
  }
  host.querySelector(".empty")?.remove();
  if (shown.length === 0) host.appendChild(el("p", "No migration yet.", "empty"));
  for (const m of shown) {
    let box = document.getElementById("chart-" + m.id);
    if (!box) {
      box = el("div", null, "chart");
      box.id = "chart-" + m.id;
      box.appendChild(el("h3"));
      const plot = el("div", null, "plot");
      box.appendChild(plot);
      host.appendChild(box);
      charts[m.id] = newChart(m, plot);
    } else {
      charts[m.id].setData(chartData(m.samples));
    }
    const h = box.querySelector("h3");
    h.replaceChildren(el("span", m.id + " — " + m.vm + " (" + m.engine + ", " + m.ordering + ")"));
    const live = !FINAL.includes(m.status);
    h.appendChild(el("span", m.status.replace("_", " "), "badge" + (live ? " live" : m.status === "completed" ? "" : " failed")));
    h.appendChild(el("span", (m.report ? m.report.rounds : m.rounds) + " round(s)", "rounds"));
    box.dataset.points = String(m.samples.length);
    box.dataset.status = m.status;
  }
}

function showExperiment(runId) {
  shownExperiment = runId;
  fetch("api/experiments/" + encodeURIComponent(runId)).then(r => r.json()).then(x => {
    const box = document.getElementById("experiment");
    box.replaceChildren(el("h3", x.runId + " (" + x.status + ", " + x.runsDone + "/" + x.runsTotal + " runs)"));
    const t = el("table");
    const head = el("tr");
    for (const c of ["Configuration", "Metric", "n", "Median", "Min", "Max", "95% CI", "vs baseline"]) head.appendChild(el("th", c));
    t.appendChild(head);
    for (const a of x.table) {
      const tr = el("tr");
      const ci = a.ciLow === null ? "-" : num(a.ciLow, 3) + " .. " + num(a.ciHigh, 3);
      const vs = a.vsBaseline === null ? "-" : ((a.vsBaseline - 1) * 100).toFixed(1) + "%";
      for (const [v, n] of [[a.config], [a.metric], [a.n, 1], [num(a.median, 3), 1], [num(a.min, 3), 1], [num(a.max, 3), 1], [ci, 1], [vs, 1]]) {
        tr.appendChild(el("td", v, n ? "num" : null));
      }
      t.appendChild(tr);
    }
    box.appendChild(t);
    for (const c of x.claims) {
      box.appendChild(el("p", c.metric + " (" + c.config + "): paper: " + c.paper + " — ours: " + c.ours + " — " + c.verdict));
    }
    const figs = el("div", null, "figures");
    for (const f of x.files.filter(f => f.endsWith(".png"))) {
      const img = el("img");
      img.src = "results/" + encodeURIComponent(x.runId) + "/" + f.split("/").map(encodeURIComponent).join("/");
      img.alt = f;
      figs.appendChild(img);
    }
    box.appendChild(figs);
  });
}

function draw(state) {
  drawMigrations(state.migrations);
  fillTable("vms", state.vms, v => [[v.id], [v.backend], [v.state], [num(v.memoryBytes / 1048576, 0) + " MiB", 1],
    [v.vcpus, 1], [v.workload || "idle"], [num(v.opsPerSecond, 0), 1], [num((v.bytesPerSecond || 0) / 1048576), 1]]);
  const finished = state.migrations.filter(m => m.report).reverse();
  fillTable("reports", finished, m => [[m.id], [m.vm], [m.engine], [m.ordering], [m.status], [m.report.totalTimeMs, 1],
    [m.report.downtimeMs, 1], [num(m.report.bytesNetwork / 1048576), 1], [m.report.rounds, 1], [m.report.pagesResent, 1],
    [m.report.verified]]);
  const body = document.querySelector("#experiments tbody");
  body.replaceChildren();
  for (const x of state.experiments) {
    const tr = el("tr");
    const link = el("a", x.runId);
    link.addEventListener("click", () => showExperiment(x.runId));
    const td = el("td");
    td.appendChild(link);
    tr.appendChild(td);
    for (const v of [x.name, x.status, x.runsDone + "/" + x.runsTotal, x.started.replace("T", " ").replace(/\.\d+Z$|Z$/, "")]) tr.appendChild(el("td", v));
    body.appendChild(tr);
  }
}

function poll() {
  fetch("api/state", { cache: "no-store" })
    .then(r => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(state => {
      draw(state);
      const s = document.getElementById("status");
      s.className = "status";
      s.textContent = "updated " + new Date().toLocaleTimeString();
    })
    .catch(e => {
      const s = document.getElementById("status");
      s.className = "status error";
      s.textContent = "cannot reach the instance: " + e.message;
    })
    .finally(() => setTimeout(poll, 1000));
}

poll();
