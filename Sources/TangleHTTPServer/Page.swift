/// The page at `GET /`: plain HTML, CSS and a little JavaScript, served from the binary (no CDN, no
/// build step). It polls `/v1/records` every second and `/v1/summary` every five, and builds every
/// element with `textContent` (never HTML from data), so a file named `<img src=x onerror=…>.png`
/// shows as text; the content security policy forbids inline scripts besides.
enum Page {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Tangle</title>
        <link rel="stylesheet" href="/page.css">
        <script src="/page.js" defer></script>
        </head>
        <body>
        <header>
          <h1>Tangle</h1>
          <span id="model-name" class="muted"></span>
          <span id="status" class="status">connecting…</span>
        </header>
        <main>
          <section class="counts" aria-label="Records per verdict">
            <div class="count v-in-distribution"><span class="n" id="count-in-distribution">0</span><span>in-distribution</span></div>
            <div class="count v-outlier"><span class="n" id="count-outlier">0</span><span>outlier</span></div>
            <div class="count v-adversarial"><span class="n" id="count-adversarial">0</span><span>likely adversarial</span></div>
            <div class="count v-rejected"><span class="n" id="count-rejected">0</span><span>rejected</span></div>
            <p class="muted" id="since"></p>
          </section>
          <div class="charts">
            <section>
              <h2>Per hour (UTC)</h2>
              <svg id="hourly" viewBox="0 0 480 140" role="img" aria-label="Records per hour"></svg>
            </section>
            <section>
              <h2><code>verdict_score</code> against the threshold</h2>
              <svg id="scores" viewBox="0 0 480 140" role="img" aria-label="Distribution of verdict scores"></svg>
            </section>
          </div>
          <section>
            <h2>Latest records</h2>
            <ul id="records"></ul>
          </section>
          <section class="model">
            <h2>Model and calibration</h2>
            <dl id="model"></dl>
            <p id="chart-links"></p>
          </section>
        </main>
        </body>
        </html>

        """

    static let style = """
        :root { --in: #2e7d32; --out: #b26a00; --adv: #c62828; --rej: #616161; font-family: system-ui, sans-serif; color: #1d1d1f; }
        body { margin: 0; background: #f6f7f9; }
        header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.2rem; background: #fff; border-bottom: 1px solid #ddd; }
        h1 { font-size: 1.3rem; margin: 0; }
        h2 { font-size: 1rem; margin: .2rem 0 .6rem; }
        main { padding: 1rem 1.2rem; max-width: 1100px; }
        section { background: #fff; border: 1px solid #e1e3e6; border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
        .muted { color: #6b6b6b; font-size: .85rem; }
        .status { margin-left: auto; font-size: .85rem; padding: .15rem .5rem; border-radius: 4px; background: #eee; }
        .status.ready { background: #e3f2e5; color: var(--in); }
        .status.down { background: #fde8e8; color: var(--adv); }
        .counts { display: flex; flex-wrap: wrap; gap: .8rem; align-items: center; }
        .count { display: flex; flex-direction: column; min-width: 8rem; padding: .4rem .8rem; border-left: 4px solid; }
        .count .n { font-size: 1.6rem; font-weight: 600; }
        .v-in-distribution { border-color: var(--in); } .v-outlier { border-color: var(--out); }
        .v-adversarial { border-color: var(--adv); } .v-rejected { border-color: var(--rej); }
        .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        .charts section { margin-bottom: 0; }
        @media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
        svg { width: 100%; height: auto; font-size: 9px; }
        #records { list-style: none; margin: 0; padding: 0; }
        #records li { display: grid; grid-template-columns: 56px 1fr auto; gap: .2rem .8rem; padding: .45rem 0; border-top: 1px solid #eee; align-items: center; }
        #records li:first-child { border-top: none; }
        .thumb { width: 48px; height: 48px; object-fit: contain; background: #111; border-radius: 3px; image-rendering: pixelated; grid-row: span 2; }
        .thumb.missing { visibility: hidden; }
        .name { font-weight: 600; overflow-wrap: anywhere; }
        .verdict { font-size: .8rem; padding: .1rem .45rem; border-radius: 3px; color: #fff; justify-self: end; }
        .verdict.in-distribution { background: var(--in); } .verdict.outlier { background: var(--out); }
        .verdict.adversarial { background: var(--adv); } .verdict.rejected { background: var(--rej); }
        .reason { grid-column: 2 / 4; font-size: .85rem; color: #444; overflow-wrap: anywhere; }
        .meta { font-size: .8rem; color: #6b6b6b; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; font-size: .9rem; }
        dt { color: #6b6b6b; } dd { margin: 0; overflow-wrap: anywhere; }
        #chart-links a { margin-right: 1rem; }

        """

    static let script = #"""
        "use strict";
        // Every element is built with textContent: data never becomes HTML.
        const shown = new Map();   // record id -> <li>
        let newest = "";           // time of the newest record shown
        const maxShown = 200;
        const verdictWords = { "in-distribution": "in-distribution", "outlier": "outlier", "adversarial": "likely adversarial", "rejected": "rejected" };

        function el(tag, cls, text) {
          const e = document.createElement(tag);
          if (cls) e.className = cls;
          if (text !== undefined && text !== null) e.textContent = String(text);
          return e;
        }

        function svgEl(tag, attrs, text) {
          const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
          for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
          if (text !== undefined) e.textContent = String(text);
          return e;
        }

        function recordItem(r) {
          const li = el("li");
          li.dataset.id = r.id;
          li.dataset.verdict = r.verdict;
          const img = el("img", "thumb");
          img.alt = "";
          img.addEventListener("error", () => img.classList.add("missing"));
          img.src = "/v1/images/" + encodeURIComponent(r.id);
          li.append(img);
          const head = el("div");
          head.append(el("span", "name", r.input && r.input.name));
          const p = r.prediction;
          const meta = [r.time, p ? p.label + " " + (p.probability * 100).toFixed(1) + " %" : null,
                        r.scores && r.scores.verdict_score !== undefined ? "verdict_score " + Number(r.scores.verdict_score).toFixed(2) : null,
                        r.source === "http" ? "posted over HTTP" : null].filter(x => x);
          head.append(el("div", "meta", meta.join(" · ")));
          li.append(head);
          li.append(el("span", "verdict " + r.verdict, verdictWords[r.verdict] || r.verdict));
          li.append(el("div", "reason", r.reason));
          return li;
        }

        async function getJSON(url) {
          const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
          if (!response.ok) throw new Error(url + ": " + response.status);
          return response.json();
        }

        async function pollRecords() {
          try {
            const url = "/v1/records?limit=" + (newest ? 500 : 100) + (newest ? "&since=" + encodeURIComponent(newest) : "");
            const body = await getJSON(url);
            const list = document.getElementById("records");
            for (const r of body.records.slice().reverse()) {   // oldest first, each inserted on top
              if (shown.has(r.id)) continue;
              const li = recordItem(r);
              shown.set(r.id, li);
              list.prepend(li);
              if (r.time > newest) newest = r.time;
            }
            while (list.children.length > maxShown) { shown.delete(list.lastChild.dataset.id); list.lastChild.remove(); }
          } catch (e) { setStatus(false, "cannot reach the daemon"); }
        }

        function setStatus(ok, text) {
          const s = document.getElementById("status");
          s.textContent = text;
          s.className = "status " + (ok ? "ready" : "down");
        }

        function drawHourly(hourly) {
          const svg = document.getElementById("hourly");
          svg.replaceChildren();
          const hours = Object.keys(hourly).sort();
          if (hours.length === 0) { svg.append(svgEl("text", { x: 10, y: 70 }, "no records yet")); return; }
          const order = ["in-distribution", "outlier", "adversarial", "rejected"];
          const colours = { "in-distribution": "#2e7d32", "outlier": "#b26a00", "adversarial": "#c62828", "rejected": "#616161" };
          const totals = hours.map(h => order.reduce((a, v) => a + (hourly[h][v] || 0), 0));
          const top = Math.max(...totals, 1);
          const w = 440 / Math.max(hours.length, 12);
          hours.forEach((h, i) => {
            let y = 120;
            for (const v of order) {
              const n = hourly[h][v] || 0;
              if (!n) continue;
              const hgt = n / top * 100;
              y -= hgt;
              const r = svgEl("rect", { x: 30 + i * w + 1, y: y, width: Math.max(w - 2, 1), height: hgt, fill: colours[v] });
              r.append(svgEl("title", {}, h + ":00 " + v + " " + n));
              svg.append(r);
            }
            if (hours.length <= 12 || i % Math.ceil(hours.length / 12) === 0) svg.append(svgEl("text", { x: 30 + i * w, y: 134 }, h.slice(11, 13)));
          });
          svg.append(svgEl("text", { x: 0, y: 24 }, top));
          svg.append(svgEl("line", { x1: 28, y1: 120, x2: 470, y2: 120, stroke: "#999" }));
        }

        function drawScores(points, threshold) {
          const svg = document.getElementById("scores");
          svg.replaceChildren();
          if (!points.length) { svg.append(svgEl("text", { x: 10, y: 70 }, "no judged records yet")); return; }
          const finite = points.map(p => Number(p.score)).filter(s => isFinite(s));
          const hi = Math.max(...finite, threshold || 0) * 1.05 || 1;
          const bins = 40, counts = new Array(bins).fill(0), flagged = new Array(bins).fill(0);
          for (const p of points) {
            const s = Math.min(Number(p.score), hi);
            if (!isFinite(s)) continue;
            const b = Math.min(bins - 1, Math.floor(s / hi * bins));
            counts[b]++;
            if (p.verdict !== "in-distribution") flagged[b]++;
          }
          const top = Math.max(...counts, 1), w = 440 / bins;
          counts.forEach((n, b) => {
            if (!n) return;
            const h = n / top * 100;
            svg.append(svgEl("rect", { x: 30 + b * w, y: 120 - h, width: w - 1, height: h, fill: flagged[b] ? "#c62828" : "#2e7d32", opacity: 0.8 }));
          });
          if (threshold !== undefined && threshold !== null) {
            const x = 30 + Math.min(threshold / hi, 1) * 440;
            svg.append(svgEl("line", { x1: x, y1: 10, x2: x, y2: 122, stroke: "#000", "stroke-dasharray": "4 3" }));
            svg.append(svgEl("text", { x: x + 3, y: 18 }, "threshold " + Number(threshold).toFixed(2)));
          }
          svg.append(svgEl("line", { x1: 28, y1: 120, x2: 470, y2: 120, stroke: "#999" }));
          svg.append(svgEl("text", { x: 30, y: 134 }, "0"));
          svg.append(svgEl("text", { x: 440, y: 134 }, hi.toFixed(1)));
          svg.append(svgEl("text", { x: 0, y: 24 }, top));
        }

        function showModel(m) {
          const dl = document.getElementById("model");
          dl.replaceChildren();
          if (!m) { dl.append(el("dt", null, "model"), el("dd", null, "loading…")); return; }
          document.getElementById("model-name").textContent = m.name + " · calibration " + m.calibration_id;
          const rows = [["model", m.name + " (" + m.folder + ")"], ["weights SHA-256", m.weights_sha256], ["input", m.input],
            ["classes", m.classes.join(", ")], ["calibration-split accuracy", m.accuracy != null ? (m.accuracy * 100).toFixed(2) + " %" : "—"],
            ["calibration", m.calibration_id], ["target false-flag rate", (m.target_false_flag_rate * 100).toFixed(1) + " %"],
            ["flagged on its calibration split", (m.calibration_flagged_rate * 100).toFixed(2) + " %"],
            ["verdict threshold", Number(m.verdict_threshold).toFixed(3)], ["routing bias", Number(m.routing_bias).toFixed(3)],
            ["neighbours", "k = " + m.k + " in " + m.layers.join(", ")]];
          for (const [k, v] of rows) dl.append(el("dt", null, k), el("dd", null, v));
          const links = document.getElementById("chart-links");
          links.replaceChildren();
          for (const c of m.charts) {
            const a = el("a", null, c);
            a.href = "/v1/charts/" + encodeURIComponent(c);
            a.target = "_blank";
            a.rel = "noopener";
            links.append(a);
          }
        }

        async function pollSummary() {
          try {
            const s = await getJSON("/v1/summary");
            setStatus(s.ready, s.ready ? "ready" : "not ready: " + s.reason);
            for (const v of ["in-distribution", "outlier", "adversarial", "rejected"]) {
              document.getElementById("count-" + v).textContent = s.summary.counts[v] || 0;
            }
            document.getElementById("since").textContent = s.summary.since ? "since " + s.summary.since : "";
            drawHourly(s.summary.hourly);
            drawScores(s.summary.scores, s.model ? s.model.verdict_threshold : null);
            showModel(s.model);
          } catch (e) { setStatus(false, "cannot reach the daemon"); }
        }

        pollRecords();
        pollSummary();
        setInterval(pollRecords, 1000);
        setInterval(pollSummary, 5000);

        """#
}
