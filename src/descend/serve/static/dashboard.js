// Page 2: the live dashboard of any fit with dc.callbacks.Dashboard().
"use strict";
navigation("/dashboard");

const $ = (id) => document.getElementById(id);
let current = null;   // { id, source, charts: {...} }
// A run named in the URL or picked from the list stays shown; otherwise the page follows the
// newest run, switching to a fit as soon as it starts.
let pinned = new URLSearchParams(location.search).has("run");

function metricName(key) { return key.startsWith("val_") ? key.slice(4) : key; }

function resetView() {
  if (current) {
    if (current.source) current.source.close();
    for (const c of Object.values(current.charts)) c.destroy();
  }
  $("metric-charts").innerHTML = "";
  $("histograms").innerHTML = "";
  delete $("run-status").dataset.epochs;
  delete $("run-status").dataset.status;
  current = null;
}

function metricChart(metric) {
  const box = document.createElement("div");
  box.className = "chart";
  box.id = `metric-${metric}`;
  box.innerHTML = `<canvas></canvas>`;
  $("metric-charts").appendChild(box);
  const c = chart(box.querySelector("canvas"), {
    xTitle: "batch (step)", yTitle: metric,
    logY: metric === "loss" && $("log-scale").checked,
    datasets: [series(`${metric} (batch)`, COLORS[0] + "88", { borderWidth: 1 }),
               series(`${metric} (epoch)`, COLORS[0], { pointRadius: 3 }),
               series(`val_${metric}`, COLORS[1], { pointRadius: 3, borderDash: [6, 3] })],
  });
  current.charts[`metric-${metric}`] = c;
  return c;
}

function chartFor(metric) { return current.charts[`metric-${metric}`] || metricChart(metric); }

function addPoint(c, index, x, y) {
  if (y === null || y === undefined) return;
  c.data.datasets[index].data.push({ x, y });
}

function lineFor(c, name) {
  let d = c.data.datasets.find((s) => s.label === name);
  if (!d) {
    d = series(name, COLORS[c.data.datasets.length % COLORS.length]);
    c.data.datasets.push(d);
  }
  return d;
}

function histograms(h) {
  for (const [layer, { edges, counts }] of Object.entries(h)) {
    const key = `hist-${layer}`;
    let c = current.charts[key];
    if (!c) {
      const box = document.createElement("div");
      box.className = "chart small";
      box.style.flex = "1 1 220px";
      box.innerHTML = `<canvas></canvas>`;
      $("histograms").appendChild(box);
      c = new Chart(box.querySelector("canvas"), {
        type: "bar", data: { labels: [], datasets: [{ label: `layer ${layer}`, data: [],
          backgroundColor: COLORS[Object.keys(current.charts).length % COLORS.length] }] },
        options: { animation: false, responsive: true, maintainAspectRatio: false,
                   scales: { x: { ticks: { maxTicksLimit: 5 } } },
                   plugins: { legend: { labels: { boxWidth: 12 } } } },
      });
      current.charts[key] = c;
    }
    c.data.labels = counts.map((_, i) => fmt((edges[i] + edges[i + 1]) / 2, 2));
    c.data.datasets[0].data = counts;
  }
}

function onEvents(events) {
  for (const e of events) {
    if (e.type === "batch") {
      for (const [k, v] of Object.entries(e.logs)) {
        if (!k.startsWith("val_") && k !== "lr") addPoint(chartFor(k), 0, e.step, v);
      }
      if (e.lr !== null) addPoint(current.charts.lr, 0, e.step, e.lr);
      for (const [layer, v] of Object.entries(e.grad_norms)) {
        lineFor(current.charts.grad, `layer ${layer}`).data.push({ x: e.step, y: v });
      }
      $("run-status").textContent = `Training: epoch ${e.epoch}, batch ${e.batch}`;
    } else if (e.type === "epoch") {
      for (const [k, v] of Object.entries(e.logs)) {
        if (k === "lr" || k.includes("/")) continue;
        addPoint(chartFor(metricName(k)), k.startsWith("val_") ? 2 : 1, e.step, v);
      }
      if (e.lr !== null) addPoint(current.charts.lr, 0, e.step, e.lr);
      for (const [layer, v] of Object.entries(e.grad_norms || {})) {
        lineFor(current.charts.grad, `layer ${layer}`).data.push({ x: e.step, y: v });
      }
      if (e.histograms) histograms(e.histograms);
      $("run-status").textContent = `Epoch ${e.epoch} completed`;
      $("run-status").dataset.epochs = e.epoch;
    } else if (e.type === "weights") {
      histograms(e.histograms);
    } else if (e.type === "end") {
      $("run-status").textContent = e.status === "stopped" ? "Stopped (model.stop_training)" :
        `Finished (${e.status})`;
      $("run-status").dataset.status = e.status;
      $("stop").disabled = true;
    }
  }
  for (const c of Object.values(current.charts)) c.update();
}

let shown = 0;  // counts show() calls: an older one still waiting for its answer gives way

async function show(id) {
  const ticket = ++shown;
  resetView();
  if (!id) return;
  const run = await api(`/api/runs/${encodeURIComponent(id)}`).catch(() => null);
  if (!run || ticket !== shown) return;
  current = { id, charts: {} };
  current.charts.lr = chart($("lr-chart"), { datasets: [series("lr", COLORS[2])],
                                            xTitle: "step", legend: false });
  current.charts.grad = chart($("grad-chart"), { xTitle: "step", yTitle: "‖gradient‖",
                                                logY: true });
  $("summary").textContent = run.info.summary || "–";
  $("run-status").textContent = run.status === "running" ? "Training…" : `Finished (${run.status})`;
  $("run-status").dataset.status = run.status;
  $("stop").disabled = run.status !== "running";
  history.replaceState(null, "", `/dashboard?run=${encodeURIComponent(id)}`);
  current.source = follow(id, onEvents);
}

// The menu follows the server's list of fits: a message now and after every change (a fit
// starts, ends or is forgotten), so a new fit shows at once, without polling.
function followRuns() {
  const source = new EventSource("/api/runs/changes?kind=fit");
  source.onmessage = (message) => update(JSON.parse(message.data).runs);
  return source;
}

function update(runs) {
  const wanted = pinned ? (current ? current.id : new URLSearchParams(location.search).get("run"))
                        : (runs[0] && runs[0].id);
  $("run-select").innerHTML = runs.length ? runs.map((r) =>
    `<option value="${r.id}">${r.title} · ${r.id} · ${r.status}</option>`).join("") :
    `<option value="">no run yet</option>`;
  if (pinned && !runs.some((r) => r.id === wanted)) {
    // A bookmark of a server that has restarted since (run ids differ between servers), or a
    // run forgotten: say so rather than show another run under its name (a run shown stays).
    missing(wanted);
    return;
  }
  const pick = runs.find((r) => r.id === wanted) ? wanted : (runs[0] && runs[0].id);
  if (pick) $("run-select").value = pick;
  if (pick && (!current || current.id !== pick)) show(pick);
}

function missing(id) {
  $("run-select").value = "";
  $("run-status").textContent = `There is no run ${id} on this server (it has restarted ` +
    "since, or forgot that run): pick one in the menu.";
  $("run-status").dataset.status = "missing";
}

$("run-select").addEventListener("change", () => { pinned = true; show($("run-select").value); });
$("stop").addEventListener("click", async () => {
  if (!current) return;
  // Said before asking: the run's end can arrive before the answer, and must not be overwritten.
  $("run-status").textContent = "Stopping after this batch…";
  await api(`/api/runs/${encodeURIComponent(current.id)}/stop`, { method: "POST" });
});
$("log-scale").addEventListener("change", () => {
  const c = current && current.charts["metric-loss"];
  if (c) { c.options.scales.y.type = $("log-scale").checked ? "logarithmic" : "linear"; c.update(); }
});
followRuns();
