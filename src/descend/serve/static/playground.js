// Page 3: optimizers race over a loss surface; paths come from the server (descend's optimizers).
"use strict";
navigation("/playground");

const $ = (id) => document.getElementById(id);
const FIELDS = ["optimizer", "lr", "momentum", "nesterov", "beta1", "beta2", "schedule", "gamma"];
let PROBLEMS = {}, OPTIMIZERS = [], SCHEDULES = [];
let surface = null, race = null, t = 0, timer = null;
let start = null;
let charts = {};

function defaultRacers(p) {
  return [{ optimizer: "sgd", lr: p.lr }, { optimizer: "sgd", lr: p.lr, momentum: 0.9 },
          { optimizer: "adam", lr: p.adaptive_lr }];
}

function racerRow(r, i) {
  const opt = (v) => OPTIMIZERS.map((o) => `<option ${o === v ? "selected" : ""}>${o}</option>`).join("");
  const sch = (v) => SCHEDULES.map((o) => `<option ${o === v ? "selected" : ""}>${o}</option>`).join("");
  const row = document.createElement("div");
  row.className = "racer";
  row.innerHTML = `<span class="swatch" style="background:${COLORS[i]}"></span>
    <select data-f="optimizer">${opt(r.optimizer || "sgd")}</select>
    lr <input class="num" data-f="lr" value="${r.lr ?? ""}">
    momentum <input class="num" data-f="momentum" value="${r.momentum ?? 0}">
    <label><input type="checkbox" data-f="nesterov" ${r.nesterov ? "checked" : ""}> Nesterov</label>
    β₁ <input class="num" data-f="beta1" value="${r.beta1 ?? 0.9}">
    β₂ <input class="num" data-f="beta2" value="${r.beta2 ?? 0.999}">
    schedule <select data-f="schedule">${sch(r.schedule || "none")}</select>
    γ <input class="num" data-f="gamma" value="${r.gamma ?? 0.99}">
    <button class="secondary" data-remove>✕</button>`;
  row.querySelector("[data-remove]").addEventListener("click", () => { row.remove(); recompute(); });
  row.querySelectorAll("input, select").forEach((el) => el.addEventListener("change", recompute));
  return row;
}

function racersFromForm() {
  return [...document.querySelectorAll(".racer")].map((row) => {
    const r = {};
    row.querySelectorAll("[data-f]").forEach((el) => {
      r[el.dataset.f] = el.type === "checkbox" ? el.checked : el.value.trim();
    });
    return r;
  });
}

function setRacers(racers) {
  $("racers").innerHTML = "";
  racers.forEach((r, i) => $("racers").appendChild(racerRow(r, i)));
}

function settings() {
  const s = { problem: $("problem").value, steps: $("steps").value.trim(), start,
              racers: racersFromForm() };
  if (s.problem === "quadratic") s.kappa = $("kappa").value.trim();
  return s;
}

function writeURL(s) {
  const q = new URLSearchParams({ problem: s.problem, start: s.start.join(","), steps: s.steps,
                                  racers: JSON.stringify(s.racers) });
  if (s.kappa) q.set("kappa", s.kappa);
  history.replaceState(null, "", `/playground?${q}`);
}

async function loadSurface() {
  const q = new URLSearchParams({ problem: $("problem").value });
  if ($("problem").value === "quadratic") q.set("kappa", $("kappa").value.trim());
  surface = await api(`/api/playground/surface?${q}`);
  $("kappa-box").hidden = $("problem").value !== "quadratic";
  $("surface-title").textContent = `Loss surface: ${surface.title}`;
  $("fit-box").hidden = !surface.model;
  drawSurface();
}

function drawSurface() {
  if (charts.surface) charts.surface.destroy();
  const [[a0, a1], [b0, b1]] = surface.bounds;
  const n = surface.contours.length;
  const datasets = surface.contours.map((c, k) => {
    const data = [];
    for (const [x0, y0, x1, y1] of c.segments) data.push({ x: x0, y: y0 }, { x: x1, y: y1 }, { x: NaN, y: NaN });
    const shade = Math.round(200 - 150 * (k / Math.max(1, n - 1)));
    return { label: "", data, showLine: true, borderWidth: 1, pointRadius: 0,
             borderColor: `rgb(${shade}, ${shade}, ${Math.min(255, shade + 40)})` };
  });
  if (surface.minimum) {
    datasets.push({ label: "minimum", data: [{ x: surface.minimum[0], y: surface.minimum[1] }],
                    pointStyle: "star", pointRadius: 10, borderColor: "#000", borderWidth: 2 });
  }
  charts.surface = new Chart($("surface"), {
    type: "scatter", data: { datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { labels: { filter: (item) => item.text !== "" , boxWidth: 12 } },
                 tooltip: { enabled: false } },
      scales: { x: { type: "linear", min: a0, max: a1, title: { display: true, text: surface.param_names[0] } },
                y: { type: "linear", min: b0, max: b1, title: { display: true, text: surface.param_names[1] } } },
      onClick: (event) => {
        const c = charts.surface;
        const x = c.scales.x.getValueForPixel(event.x), y = c.scales.y.getValueForPixel(event.y);
        if (x < a0 || x > a1 || y < b0 || y > b1) return;
        start = [Number(x.toFixed(3)), Number(y.toFixed(3))];
        recompute();
      } },
  });
  charts.surfaceBase = datasets.length;
}

async function recompute() {
  pause();
  $("error").textContent = "";
  const s = settings();
  writeURL(s);
  try {
    race = await api("/api/playground/race", { method: "POST", body: s });
  } catch (err) {
    $("error").textContent = err.message;
    return;
  }
  t = 0;
  buildRaceCharts();
  draw();
}

function buildRaceCharts() {
  const c = charts.surface;
  c.data.datasets.length = charts.surfaceBase;
  race.racers.forEach((r, i) => {
    c.data.datasets.push({ label: r.label, data: [], showLine: true, borderColor: COLORS[i],
                           backgroundColor: COLORS[i], pointRadius: 0, borderWidth: 2 });
    c.data.datasets.push({ label: "", data: [], pointRadius: 6, borderColor: "#fff",
                           backgroundColor: COLORS[i], borderWidth: 2 });
    c.data.datasets.push({ label: "", data: [], showLine: true, borderColor: COLORS[i],
                           pointRadius: 0, borderWidth: 2.5 });
  });
  c.data.datasets.push({ label: "start", data: [{ x: race.start[0], y: race.start[1] }],
                         pointStyle: "crossRot", pointRadius: 9, borderColor: "#111", borderWidth: 2 });
  if (charts.loss) charts.loss.destroy();
  const positive = race.racers.every((r) => r.losses.every((v) => v === null || v - surface.min_loss > 0));
  charts.loss = chart($("loss"), { xTitle: "step", yTitle: positive ? "loss − minimum (log)" : "loss",
    logY: positive, datasets: race.racers.map((r, i) => series(r.label, COLORS[i])) });
  charts.positive = positive;
  if (charts.fit) { charts.fit.destroy(); charts.fit = null; }
  if (surface.model) {
    charts.fit = chart($("fit"), { xTitle: "x", yTitle: "y", datasets: [
      series("data", "#111", { data: surface.data.x.map((x, i) => ({ x, y: surface.data.y[i] })),
                               showLine: false, pointRadius: 4 }),
      ...race.racers.map((r, i) => series(r.label, COLORS[i], { borderWidth: 1.5 }))] });
  }
}

function arrow(p, g) {
  const [[a0, a1], [b0, b1]] = surface.bounds;
  const sx = a1 - a0, sy = b1 - b0;
  const ux = -g[0] / sx, uy = -g[1] / sy;               // in window units
  const norm = Math.hypot(ux, uy);
  if (!(norm > 0)) return [];
  const len = 0.09 * Math.tanh(5 * norm), dx = ux / norm * len, dy = uy / norm * len;
  const tip = [p[0] + dx * sx, p[1] + dy * sy];
  const head = (angle) => {
    const c = Math.cos(angle), s = Math.sin(angle);
    return { x: tip[0] - (dx * c - dy * s) * 0.35 * sx, y: tip[1] - (dx * s + dy * c) * 0.35 * sy };
  };
  return [{ x: p[0], y: p[1] }, { x: tip[0], y: tip[1] }, head(0.45), { x: NaN, y: NaN },
          { x: tip[0], y: tip[1] }, head(-0.45)];
}

function curve(r, i) {
  const xs = surface.data.x, lo = Math.min(...xs) - 0.5, hi = Math.max(...xs) + 0.5;
  const [w, b] = r.params[Math.min(t, r.params.length - 1)];
  const points = [];
  for (let k = 0; k <= 60; k++) {
    const x = lo + (hi - lo) * k / 60, z = w * x + b;
    points.push({ x, y: surface.model === "sigmoid" ? 1 / (1 + Math.exp(-z)) : z });
  }
  return points;
}

function draw() {
  const c = charts.surface;
  const rows = [];
  race.racers.forEach((r, i) => {
    const k = Math.min(t, r.params.length - 1);
    const base = charts.surfaceBase + 3 * i;
    c.data.datasets[base].data = r.params.slice(0, k + 1).map(([x, y]) => ({ x, y }));
    c.data.datasets[base + 1].data = [{ x: r.params[k][0], y: r.params[k][1] }];
    c.data.datasets[base + 2].data = arrow(r.params[k], r.grads[k]);
    charts.loss.data.datasets[i].data = r.losses.slice(0, k + 1).map((v, j) =>
      ({ x: j, y: charts.positive ? v - surface.min_loss : v }));
    if (charts.fit) charts.fit.data.datasets[i + 1].data = curve(r, i);
    rows.push(`<tr><td><span class="swatch" style="background:${COLORS[i]}"></span> ${r.label}</td>` +
      `<td class="num" data-loss="${r.losses[k]}">${fmt(r.losses[k], 4)}</td>` +
      `<td>${r.diverged && k === r.params.length - 1 ? "diverged" : `(${fmt(r.params[k][0], 3)}, ${fmt(r.params[k][1], 3)})`}</td></tr>`);
  });
  $("table").innerHTML = `<tr><th>optimizer</th><th class="num">loss</th><th>point</th></tr>` + rows.join("");
  $("clock").textContent = `step ${t} of ${race.steps}`;
  $("clock").dataset.step = t;
  c.update(); charts.loss.update(); if (charts.fit) charts.fit.update();
}

function play() {
  if (timer || !race) return;
  timer = setInterval(() => {
    const stride = Math.max(1, Math.round(race.steps / 200));
    t = Math.min(race.steps, t + stride);
    draw();
    if (t >= race.steps) pause();
  }, 40);
}
function pause() { clearInterval(timer); timer = null; }

async function changeProblem(fromURL = null) {
  const p = PROBLEMS[$("problem").value];
  await loadSurface();
  start = fromURL && fromURL.start ? fromURL.start : surface.start.slice();
  $("steps").value = fromURL && fromURL.steps ? fromURL.steps : p.steps;
  setRacers(fromURL && fromURL.racers ? fromURL.racers : defaultRacers(p));
  await recompute();
}

async function init() {
  const info = await api("/api/playground/problems");
  PROBLEMS = info.problems; OPTIMIZERS = info.optimizers; SCHEDULES = info.schedules;
  $("problem").innerHTML = Object.entries(PROBLEMS).map(([k, p]) =>
    `<option value="${k}">${p.title}</option>`).join("");
  const q = new URLSearchParams(location.search);
  let fromURL = null;
  if (q.get("problem") && PROBLEMS[q.get("problem")]) {
    $("problem").value = q.get("problem");
    if (q.get("kappa")) $("kappa").value = q.get("kappa");
    fromURL = { start: (q.get("start") || "").split(",").map(Number), steps: q.get("steps"),
                racers: JSON.parse(q.get("racers") || "null") };
    if (fromURL.start.length !== 2 || fromURL.start.some(Number.isNaN)) fromURL.start = null;
  } else {
    $("problem").value = "sigmoid";
  }
  await changeProblem(fromURL);
}

$("problem").addEventListener("change", () => changeProblem().catch((e) => { $("error").textContent = e.message; }));
$("kappa").addEventListener("change", () => loadSurface().then(recompute).catch((e) => { $("error").textContent = e.message; }));
$("steps").addEventListener("change", recompute);
$("play").addEventListener("click", play);
$("pause").addEventListener("click", pause);
$("step").addEventListener("click", () => { pause(); if (race) { t = Math.min(race.steps, t + 1); draw(); } });
$("reset").addEventListener("click", () => { pause(); t = 0; if (race) draw(); });
$("add").addEventListener("click", () => {
  const n = document.querySelectorAll(".racer").length;
  if (n >= 6) return;
  $("racers").appendChild(racerRow({ optimizer: "rmsprop", lr: PROBLEMS[$("problem").value].adaptive_lr }, n));
  recompute();
});
init().catch((err) => { $("error").textContent = err.message; });
