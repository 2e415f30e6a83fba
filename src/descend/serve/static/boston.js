// Page 1: Boston Housing, trained by the server, every epoch drawn as it ends.
"use strict";
navigation("/boston");

const MODELS = [
  ["linear", "Linear regression", "Train linear regression"],
  ["mlp1", "1 hidden layer (50 sigmoid)", "Train neural network regressor (1 hidden layer)"],
  ["mlp2", "2 hidden layers (50-50 sigmoid)", "Train neural network regressor (2 hidden layers)"],
];
const $ = (id) => document.getElementById(id);
let INFO = null;
const columns = {};
let weightsShowAll = false;
let lastWeights = null;

function setStatus(text) { $("status").textContent = text; }

function column([key, title, button]) {
  const el = document.createElement("div");
  el.className = "card";
  el.id = `col-${key}`;
  el.innerHTML = `
    <h3>${title}</h3>
    <div class="row"><button id="train-${key}">${button}</button>
      <button class="secondary" id="stop-${key}" disabled>Stop</button></div>
    <p class="error" id="${key}-error"></p>
    <p id="${key}-epoch" class="muted">Not trained yet.</p>
    <div class="chart"><canvas id="${key}-chart"></canvas></div>
    <div class="final" id="${key}-final"></div>
    <div class="chart small" id="${key}-scatter-box" hidden><canvas id="${key}-scatter"></canvas></div>
    ${key === "linear" ? `<h3 style="margin-top:10px">Weights</h3>
      <table id="weights"><thead><tr><th>Feature</th><th class="num">Weight</th></tr></thead>
      <tbody></tbody></table>
      <button class="secondary" id="weights-toggle" style="margin-top:6px">Show all 12 and the bias</button>` : ""}`;
  $("columns").appendChild(el);
  const lossChart = chart($(`${key}-chart`), {
    datasets: [series("loss", COLORS[0]), series("val_loss", COLORS[1], { borderDash: [6, 3] })],
    xTitle: "epoch", yTitle: "MSE", logY: $("log-scale").checked,
  });
  columns[key] = { chart: lossChart, scatter: null, source: null, run: null };
  $(`train-${key}`).addEventListener("click", () => train(key));
  $(`stop-${key}`).addEventListener("click", () => stop(key));
}

function settings() {
  const values = {};
  for (const name of ["optimizer", "lr", "epochs", "batch_size", "l2", "seed"]) {
    const value = $(name).value.trim();
    if (value !== "") values[name] = value;
  }
  values.normalize = $("normalize").checked;
  return values;
}

function busy(key, training) {
  $(`train-${key}`).disabled = training;
  $(`stop-${key}`).disabled = !training;
}

async function train(key) {
  const col = columns[key];
  $(`${key}-error`).textContent = "";
  $("settings-error").textContent = "";
  let started;
  busy(key, true);
  try {
    started = await api("/api/boston/train", { method: "POST", body: { model: key, ...settings() } });
  } catch (err) {
    $(`${key}-error`).textContent = err.message;
    busy(key, false);
    return;
  }
  const total = started.settings.epochs;
  col.run = started.run;
  col.chart.data.datasets.forEach((d) => { d.data = []; });
  col.chart.update();
  $(`${key}-final`).innerHTML = "";
  $(`${key}-scatter-box`).hidden = true;
  $(`${key}-epoch`).textContent = `Training… (seed ${started.settings.seed}, ` +
    `${started.settings.optimizer} lr ${started.settings.lr ?? "default"})`;
  busy(key, true);
  setStatus(`Training ${MODELS.find((m) => m[0] === key)[1].toLowerCase()}…`);
  col.source = follow(started.run, (events) => {
    for (const event of events) {
      if (event.type === "epoch") epoch(key, event, total);
      if (event.type === "end") end(key, event, total, started.settings);
    }
    col.chart.update();
  }, { closeStops: true });
}

function epoch(key, event, total) {
  const [loss, val] = columns[key].chart.data.datasets;
  loss.data.push({ x: event.epoch, y: event.loss });
  val.data.push({ x: event.epoch, y: event.val_loss });
  $(`${key}-epoch`).textContent = `Epoch ${event.epoch} of ${total} completed.`;
  if (event.weights) showWeights(event.weights);
}

function end(key, event, total, used) {
  busy(key, false);
  const box = $(`${key}-final`);
  if (event.status === "diverged") {
    $(`${key}-epoch`).textContent = `diverged (NaN) at epoch ${event.epoch}`;
    box.innerHTML = `<div class="error" id="${key}-diverged">diverged (NaN) at epoch ` +
      `${event.epoch}: the loss is no longer a number. Lower the learning rate or turn ` +
      `normalization on.</div>`;
    setStatus("Training diverged.");
    return;
  }
  if (event.status === "error") {
    $(`${key}-error`).textContent = event.message;
    setStatus("Training failed.");
    return;
  }
  if (event.status === "stopped") {
    $(`${key}-epoch`).textContent = `Stopped after epoch ${event.epoch} of ${total}.`;
  }
  box.innerHTML = `
    <div>Final train-set loss: <b id="${key}-train">${fmt(event.mse.train)}</b></div>
    <div>Final validation-set loss: <b id="${key}-val">${fmt(event.mse.validation)}</b></div>
    <div>Test-set loss: <b id="${key}-test">${fmt(event.mse.test)}</b>
      <span class="muted">(baseline ${fmt(INFO.baseline.test)}, seed ${used.seed})</span></div>`;
  if (event.weights) showWeights(event.weights);
  scatter(key, event.scatter);
  setStatus(event.status === "stopped" ? "Stopped." : "Done.");
}

function scatter(key, points) {
  $(`${key}-scatter-box`).hidden = false;
  const col = columns[key];
  if (col.scatter) col.scatter.destroy();
  const lo = Math.min(...points.flat()), hi = Math.max(...points.flat());
  col.scatter = chart($(`${key}-scatter`), {
    type: "scatter", xTitle: "true value ($1000s)", yTitle: "predicted",
    datasets: [
      series("test towns", COLORS[0], { data: points.map(([x, y]) => ({ x, y })),
                                        pointRadius: 2.5 }),
      series("perfect", "#999", { type: "line", data: [{ x: lo, y: lo }, { x: hi, y: hi }],
                                  borderWidth: 1, borderDash: [4, 4] }),
    ],
  });
}

function showWeights(weights) {
  lastWeights = weights;
  const rows = INFO.features.map((f, i) => ({ name: `${f.label} (${f.code})`, w: weights.kernel[i] }));
  rows.sort((a, b) => Math.abs(b.w) - Math.abs(a.w));
  const shown = weightsShowAll ? rows.concat([{ name: "bias", w: weights.bias }]) : rows.slice(0, 5);
  document.querySelector("#weights tbody").innerHTML = shown.map((r) =>
    `<tr><td>${r.name}</td><td class="num ${r.w < 0 ? "neg" : "pos"}">${r.w >= 0 ? "+" : ""}` +
    `${r.w.toFixed(3)}</td></tr>`).join("");
}

async function stop(key) {
  const col = columns[key];
  if (col.run) await api(`/api/runs/${col.run}/stop`, { method: "POST" }).catch(() => {});
}

async function start() {
  INFO = await api("/api/boston");
  const r = INFO.rows;
  $("data-description").innerHTML = `The data: ${r.train + r.validation} training rows ` +
    `(the first ${r.train} train, the last ${r.validation} validate) and ${r.test} test rows; ` +
    `${INFO.features.length} features: ` + INFO.features.map((f) => f.label).join(", ") +
    `. The split is a fixed stand-in with the TF.js sizes, packaged with descend (provenance ` +
    `and caveats: <code>docs/datasets.md</code>); the B column is dropped, as TF.js does.`;
  $("baseline").textContent = `Baseline loss (MSE) is ${INFO.baseline.test.toFixed(2)}`;
  $("optimizer").innerHTML = INFO.optimizers.map((o) => `<option>${o}</option>`).join("");
  $("optimizer").value = INFO.defaults.optimizer;
  MODELS.forEach(column);
  $("weights-toggle").addEventListener("click", () => {
    weightsShowAll = !weightsShowAll;
    $("weights-toggle").textContent = weightsShowAll ? "Show the top 5" : "Show all 12 and the bias";
    if (lastWeights) showWeights(lastWeights);
  });
  $("log-scale").addEventListener("change", () => {
    for (const col of Object.values(columns)) {
      col.chart.options.scales.y.type = $("log-scale").checked ? "logarithmic" : "linear";
      col.chart.update();
    }
  });
  setStatus("Data loaded. Choose a model and press its Train button.");
}

start().catch((err) => setStatus(`Could not load the data: ${err.message}`));
