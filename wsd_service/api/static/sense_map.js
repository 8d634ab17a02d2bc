// The sense map view: every training vector of the answered word's lemma and POS in 2D (from
// /v1/senses/{lemma}/map), colored by sense as in the candidate table, the sense centroids as rings and the
// query as a star. Hovering or clicking a point shows its sentence with the word highlighted.
// Uses el, svg, api, highlighted, starPoints, PALETTE and $ from app.js.
"use strict";

const MAP_SIZE = 480, MAP_MARGIN = 22;
let mapState = { answer: null, colours: null, open: false, pinned: null };

function prepareSenseMap(answer, colours) {
  mapState = { ...mapState, answer, colours, pinned: null };
  const trained = answer.candidates.some((c) => c.train_count > 0) && answer.pos;
  $("map-title").textContent = trained ? `of ${answer.lemma} (${answer.pos}): every training vector` : "";
  $("show-map").disabled = !trained;
  $("show-map").title = trained ? "every training vector of this lemma and POS, colored by sense"
    : "this word has no training vectors to map";
  if (mapState.open && trained) drawSenseMap();
  else hideSenseMap();
}

function hideSenseMap() {
  mapState.open = false;
  $("map-body").hidden = true;
  $("show-map").textContent = "show the sense map";
}

async function drawSenseMap() {
  const answer = mapState.answer;
  if (!answer) return;
  showError("");
  $("status").textContent = "drawing the sense map...";
  try {
    const map = await api(`/v1/senses/${encodeURIComponent(answer.lemma)}/map`, {
      pos: answer.pos, index: answer.index, method: $("map-method").value,
      query: { tokens: answer.tokens, target: { index: answer.target.index } },
    });
    if (answer !== mapState.answer) return;  // a newer answer came meanwhile
    renderSenseMap(map);
    mapState.open = true;
    $("map-body").hidden = false;
    $("show-map").textContent = "hide the sense map";
    $("status").textContent = "";
  } catch (err) {
    $("status").textContent = "";
    showError(`sense map: ${err.message}`);
  }
}

function mapColour(key) {
  const colours = mapState.colours;
  if (!colours.has(key)) colours.set(key, PALETTE[colours.size % PALETTE.length]);
  return colours.get(key);
}

function renderSenseMap(map) {
  const plot = $("sense-map");
  const half = MAP_SIZE / 2, reach = half - MAP_MARGIN;
  const at = (x, y) => [half + x * reach, half - y * reach];
  plot.replaceChildren(svg("rect", { x: 1, y: 1, width: MAP_SIZE - 2, height: MAP_SIZE - 2, class: "frame" }));
  const axes = map.method === "pca" && map.explained
    ? [`PC 1 (${Math.round(map.explained[0] * 100)}%) \u2192`, `\u2191 PC 2 (${Math.round(map.explained[1] * 100)}%)`]
    : ["t-SNE 1 \u2192", "\u2191 t-SNE 2"];
  plot.append(svgText(MAP_SIZE - 8, MAP_SIZE - 8, axes[0], "axis", "end"), svgText(8, 14, axes[1], "axis", "start"));
  map.points.forEach((p) => {
    const [x, y] = at(p.x, p.y);
    const dot = svg("circle", { cx: x, cy: y, r: 4.5, fill: mapColour(p.sense_key), class: "map-point" },
      `${p.sense_key} (${p.source}): ${p.sentence}`);
    dot.addEventListener("mouseenter", () => showPoint(p, dot, false));
    dot.addEventListener("click", () => showPoint(p, dot, true));
    plot.append(dot);
  });
  for (const c of map.centroids) {
    const [x, y] = at(c.x, c.y);
    plot.append(svg("circle", { cx: x, cy: y, r: 9, stroke: mapColour(c.sense_key), class: "map-centroid" },
      `centroid of ${c.sense_key}`));
  }
  if (map.query) {
    const [x, y] = at(map.query.x, map.query.y);
    plot.append(svg("polygon", { points: starPoints(x, y, 13, 5.5), class: "map-query" }));  // not a target
  }
  renderMapLegend(map);
}

function svgText(x, y, text, cls, anchor) {
  const node = svg("text", { x, y, class: cls, "text-anchor": anchor });
  node.textContent = text;
  return node;
}

function renderMapLegend(map) {
  const dropped = Object.values(map.dropped).reduce((a, b) => a + b, 0);
  $("map-note").textContent = `${map.shown} of ${map.total} training vectors` +
    (dropped ? ` (at most ${map.cap} per sense; ${dropped} left out)` : "") + "; rings: sense centroids; \u2605 the query";
  $("map-legend").replaceChildren(...map.legend.map((entry) => el("li", { className: "map-legend-item" },
    el("span", { className: "dot", style: `background:${mapColour(entry.key)}` }),
    el("span", { className: "synset", textContent: entry.synset || entry.key }),
    el("span", { className: "muted", textContent: ` ${entry.shown}${entry.shown < entry.count ? "/" + entry.count : ""}` }),
    el("div", { className: "gloss-cell", textContent: entry.gloss || "" }))));
  $("map-detail").replaceChildren("Hover or click a point to read its sentence.");
}

function showPoint(point, dot, pin) {
  if (!pin && mapState.pinned) return;  // a clicked point stays until another is clicked
  for (const other of document.querySelectorAll("#sense-map .map-point.active")) other.classList.remove("active");
  dot.classList.add("active");
  if (pin) mapState.pinned = point;
  $("map-detail").replaceChildren(
    el("div", {},
      el("span", { className: "dot", style: `background:${mapColour(point.sense_key)}` }),
      el("code", { textContent: point.sense_key }), ` \u00b7 ${point.source} \u00b7 ${point.sentence_id}`),
    el("p", { className: "map-sentence" }, ...highlighted(point.sentence, point.span)));
}

$("show-map").addEventListener("click", () => (mapState.open ? hideSenseMap() : drawSenseMap()));
$("map-method").addEventListener("change", () => { if (mapState.open) drawSenseMap(); });
