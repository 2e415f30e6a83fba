// descend serve: helpers shared by the three pages (no framework, Chart.js for charts).
"use strict";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
                "#db2777"];

// Fetch JSON; a refused request throws an Error whose message is the server's sentence.
async function api(path, options = {}) {
  const init = { ...options, headers: { "Content-Type": "application/json" } };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(data.error || `request failed (${response.status})`);
  return data;
}

// Follow a run's events over Server-Sent Events; onEvents gets each batch of new events.
// A dropped stream reconnects by itself and the server resumes after the last message's id
// (Last-Event-ID); an event already seen (by its seq) is passed over all the same, so no
// point is ever drawn twice.
function follow(runId, onEvents, { closeStops = false, since = 0 } = {}) {
  const url = `/api/runs/${encodeURIComponent(runId)}/events?since=${since}` +
              (closeStops ? "&close_stops=true" : "");
  const source = new EventSource(url);
  let next = since;  // the seq of the first event not seen yet
  source.onmessage = (message) => {
    const events = JSON.parse(message.data).filter((e) => e.seq >= next);
    if (!events.length) return;
    next = events[events.length - 1].seq + 1;
    onEvents(events);
    if (events.length && events[events.length - 1].type === "end") source.close();
  };
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) source.close(); };
  return source;
}

function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2);
  return value.toFixed(digits);
}

// A short axis label: 0.001, 12.5, 1.02e-4, 3e+8.
function tick(value) {
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 1e5 || abs < 1e-3) return Number(value.toPrecision(3)).toExponential();
  return String(Number(value.toPrecision(3)));
}

// A Chart.js chart with numeric x (steps, epochs) and no animation.
function chart(canvas, { type = "line", datasets = [], xTitle = "", yTitle = "", logY = false,
                         legend = true, extra = {} } = {}) {
  return new Chart(canvas, {
    type,
    data: { datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      normalized: true, spanGaps: false,
      plugins: { legend: { display: legend, labels: { boxWidth: 12 } } },
      elements: { point: { radius: 0 }, line: { borderWidth: 2 } },
      scales: {
        x: { type: "linear", title: { display: !!xTitle, text: xTitle } },
        y: { type: logY ? "logarithmic" : "linear", title: { display: !!yTitle, text: yTitle },
             ticks: { callback: tick } },
      },
      ...extra,
    },
  });
}

function series(label, color, options = {}) {
  return { label, data: [], borderColor: color, backgroundColor: color, ...options };
}

function navigation(here) {
  const links = [["/boston", "Boston Housing"], ["/dashboard", "Dashboard"],
                 ["/playground", "Playground"]];
  const header = document.createElement("header");
  header.innerHTML = `<b><a href="/">descend</a></b>` + links.map(([href, text]) =>
    `<a href="${href}" class="${href === here ? "here" : ""}">${text}</a>`).join("");
  document.body.prepend(header);
}
