// The web page: words of the typed sentence become buttons; a click asks /v1/disambiguate and shows the
// answer with its evidence. Plain DOM (textContent only, never innerHTML with data), no libraries.
"use strict";

const TOKEN = /[\p{L}\p{N}_]+(?:[-'\u2019][\p{L}\p{N}_]+)*|[^\p{L}\p{N}_\s]/gu;
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22"];
const SVG_NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

let selected = null;  // {start, end} of the clicked word

function tokenize(text) {
  return Array.from(text.matchAll(TOKEN), (m) => ({ token: m[0], start: m.index, end: m.index + m[0].length }));
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function options() {
  const out = { vote: $("vote").value, mode: $("mode").value };
  const k = parseInt($("k").value, 10);
  if (Number.isInteger(k)) out.k = k;
  if (!$("index-choice").hidden) out.index = $("index").value;
  return out;
}

function renderWords() {
  const text = $("sentence").value;
  const words = $("words");
  words.replaceChildren();
  for (const t of tokenize(text)) {
    if (/\p{L}/u.test(t.token)) {
      const button = el("button", { type: "button", className: "word", textContent: t.token });
      button.dataset.start = t.start;
      button.dataset.end = t.end;
      if (selected && selected.start === t.start && selected.end === t.end) button.classList.add("selected");
      button.addEventListener("click", () => disambiguate(t.start, t.end));
      words.append(button);
    } else {
      words.append(el("span", { className: "punct", textContent: t.token }));
    }
  }
}

async function disambiguate(start, end) {
  selected = { start, end };
  for (const b of document.querySelectorAll(".word")) {
    b.classList.toggle("selected", Number(b.dataset.start) === start && Number(b.dataset.end) === end);
  }
  showError("");
  $("status").textContent = "thinking...";
  try {
    const answer = await api("/v1/disambiguate", {
      text: $("sentence").value, target: { start, end }, projection: true, ...options(),
    });
    renderAnswer(answer);
    $("status").textContent = "";
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  }
}

function senseColours(answer) {
  const colours = new Map();
  const keys = [...Object.keys(answer.votes), ...answer.neighbors.map((n) => n.sense_key),
                ...answer.candidates.map((c) => c.key)];
  for (const key of keys) {
    if (!colours.has(key)) colours.set(key, PALETTE[colours.size % PALETTE.length]);
  }
  return colours;
}

function highlighted(sentence, span) {
  const [start, end] = span;
  return [sentence.slice(0, start), el("mark", { textContent: sentence.slice(start, end) }), sentence.slice(end)];
}

function renderAnswer(answer) {
  const colours = senseColours(answer);
  $("result").hidden = false;
  $("target-word").textContent = answer.target.token;
  $("lemma-pos").textContent = `lemma ${answer.lemma}${answer.pos ? ", " + answer.pos : ""}`;
  const sense = answer.sense;
  $("synset").textContent = sense ? sense.synset : "no sense";
  $("synset").style.color = sense ? colours.get(sense.key) : "";
  $("sense-key").textContent = sense ? sense.key : "";
  $("gloss").textContent = sense ? sense.gloss : "";
  $("message").textContent = answer.message || "";
  $("message").hidden = !answer.message;
  $("confidence").textContent = answer.confidence.toFixed(2);
  $("confidence-bar").style.width = `${Math.round(Math.max(0, Math.min(1, answer.confidence)) * 100)}%`;
  $("method").textContent = answer.method;
  $("k-used").textContent = answer.k ? `k = ${answer.k}` : "";
  $("index-used").textContent = answer.index;

  const rows = answer.candidates.map((c) => {
    const row = el("tr", { className: sense && c.key === sense.key ? "chosen" : "" },
      el("td", {}, el("span", { className: "dot", style: `background:${colours.get(c.key)}` })),
      el("td", {}, el("div", { className: "synset", textContent: c.synset }), el("code", { textContent: c.key })),
      el("td", { className: "gloss-cell", textContent: c.gloss }),
      el("td", { className: "num", textContent: String(c.train_count) }),
      el("td", { className: "num", textContent: c.key in answer.votes ? answer.votes[c.key].toFixed(2) : "" }));
    return row;
  });
  $("candidates").tBodies[0].replaceChildren(...rows);

  $("neighbors").replaceChildren(...answer.neighbors.map((n) => el("li", {},
    el("span", { className: "sim", textContent: n.similarity.toFixed(3) }),
    el("span", { className: "dot", style: `background:${colours.get(n.sense_key)}`, title: n.sense_key }),
    el("code", { className: "key", textContent: n.sense_key }),
    el("span", { className: "sentence" }, ...highlighted(n.sentence, n.span)))));

  renderPlot(answer, colours);
  prepareSenseMap(answer, colours);  // sense_map.js
}

function svg(tag, attrs, title) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (title !== undefined) {
    const tooltip = document.createElementNS(SVG_NS, "title");
    tooltip.textContent = title;
    node.append(tooltip);
  }
  return node;
}

function starPoints(cx, cy, outer = 12, inner = 5) {
  return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => {
    const r = i % 2 ? inner : outer, a = Math.PI / 5 * i - Math.PI / 2;
    return `${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`;
  }).join(" ");
}

function renderPlot(answer, colours) {
  const plot = $("plot");
  plot.replaceChildren();
  const legend = $("legend");
  legend.replaceChildren();
  const projection = answer.projection;
  if (!projection || !answer.neighbors.length) {
    plot.append(svg("text", { x: 160, y: 160, "text-anchor": "middle", class: "empty" }));
    plot.lastChild.textContent = "no neighbors to show";
    return;
  }
  const at = ([x, y]) => [160 + x * 135, 160 - y * 135];
  const [qx, qy] = at(projection.query);
  plot.append(svg("rect", { x: 1, y: 1, width: 318, height: 318, class: "frame" }));
  for (const [x, y, label] of [[312, 312, "PC 1 \u2192"], [8, 14, "\u2191 PC 2"]]) {
    const axis = svg("text", { x, y, class: "axis", "text-anchor": x > 160 ? "end" : "start" });
    axis.textContent = label;
    plot.append(axis);
  }
  projection.neighbors.forEach((point) => {
    const [x, y] = at(point);
    plot.append(svg("line", { x1: qx, y1: qy, x2: x, y2: y, class: "link" }));
  });
  projection.neighbors.forEach((point, i) => {
    const n = answer.neighbors[i];
    const [x, y] = at(point);
    plot.append(svg("circle", { cx: x, cy: y, r: 7, fill: colours.get(n.sense_key), class: "neighbor" },
      `${n.similarity.toFixed(3)} ${n.sense_key}: ${n.sentence}`));
  });
  plot.append(svg("polygon", { points: starPoints(qx, qy), class: "query" }, `query: ${answer.target.token}`));

  const shown = new Set(answer.neighbors.map((n) => n.sense_key));
  for (const key of shown) {
    const c = answer.candidates.find((x) => x.key === key);
    legend.append(el("span", { className: "legend-item" },
      el("span", { className: "dot", style: `background:${colours.get(key)}` }), c ? c.synset : key));
  }
  legend.append(el("span", { className: "legend-item" }, el("span", { className: "star", textContent: "\u2605" }),
    "the query"));
}

async function annotateAll() {
  showError("");
  $("status").textContent = "annotating...";
  try {
    const result = await api("/v1/annotate", { text: $("sentence").value, ...options() });
    // a compound ("ice cream") is one annotation over several word buttons
    const covering = (b) => result.annotations.find(
      (a) => a.target.span[0] <= Number(b.dataset.start) && Number(b.dataset.end) <= a.target.span[1]);
    for (const b of document.querySelectorAll(".word")) {
      const a = covering(b);
      b.classList.toggle("annotated", Boolean(a && a.sense));
      b.title = a && a.sense ? `${a.sense.synset}: ${a.sense.gloss}` : "";
    }
    $("status").textContent = `${result.annotations.length} content words disambiguated; hover a word for its sense`;
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  }
}

async function loadIndexes() {
  try {
    const info = await api("/v1/indexes");
    const select = $("index");
    for (const index of info.indexes) select.append(el("option", { value: index.name, textContent: index.name }));
    select.value = info.default;
    $("index-choice").hidden = info.indexes.length < 2;
    const settings = info.indexes.find((i) => i.name === info.default).settings;
    $("k").value = settings.k;
    $("vote").value = settings.vote;
    $("mode").value = settings.mode;
  } catch (err) {
    showError(`cannot reach the service: ${err.message}`);
  } finally {
    document.body.dataset.ready = "true";  // settings loaded (tests wait for this)
  }
}

$("sentence").addEventListener("input", () => { selected = null; renderWords(); });
$("annotate").addEventListener("click", annotateAll);
for (const id of ["k", "vote", "mode", "index"]) {
  $(id).addEventListener("change", () => { if (selected) disambiguate(selected.start, selected.end); });
}
renderWords();
loadIndexes();
