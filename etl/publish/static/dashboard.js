/* The Performance Dashboard's script: filters, counts, map points and lists, all from the data
   written into the page. It makes no request, sets no cookie and stores nothing: the filter state
   lives in the URL's hash, so a filtered view can be linked to (and works from file://).
   Lists show PAGE rows at a time ("Show more"), so 10,000 projects stay quick. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PAGE = 50;
  var FILTERS = ["district", "directorate", "service", "q"];

  // A project page: "Back to the list" returns to the list as it was filtered.
  var back = document.getElementById("back");
  if (back && location.hash.length > 1) back.setAttribute("href", "../index.html" + location.hash);

  var source = document.getElementById("pmo-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var projects = data.projects.map(function (row) {
    var p = {};
    data.columns.forEach(function (column, i) { p[column] = row[i]; });
    p.search = (p.name + " " + p.id).toLowerCase();
    return p;
  });
  var form = document.getElementById("filters");
  var state = { rag: [], district: "", directorate: "", service: "", q: "" };

  function ragClass(rag) {
    return "rag-" + rag.toLowerCase().replace(/[^a-z]+/g, "-").replace(/^-+|-+$/g, "");
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function projectLink(p) {
    var a = el("a", p.name);
    a.href = "projects/" + p.page;
    a.setAttribute("data-page", p.page);
    return a;
  }

  // ---- the URL's hash <-> the filters
  function readHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    state.rag = params.getAll("rag").filter(function (r) { return data.ragOrder.indexOf(r) >= 0; });
    FILTERS.forEach(function (key) { state[key] = params.get(key) || ""; });
  }
  function writeHash() {
    var params = new URLSearchParams();
    state.rag.forEach(function (r) { params.append("rag", r); });
    FILTERS.forEach(function (key) { if (state[key]) params.set(key, state[key]); });
    var hash = params.toString();
    var url = hash ? "#" + hash : location.pathname + location.search;
    try { history.replaceState(null, "", url); } catch (e) { location.hash = hash; }
  }
  function syncForm() {
    Array.prototype.forEach.call(form.elements.rag, function (box) { box.checked = state.rag.indexOf(box.value) >= 0; });
    FILTERS.forEach(function (key) { form.elements[key].value = state[key]; });
  }
  function readForm() {
    state.rag = Array.prototype.filter.call(form.elements.rag, function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    FILTERS.forEach(function (key) { state[key] = form.elements[key].value.trim(); });
  }
  function matches(p) {
    if (state.rag.length && state.rag.indexOf(p.rag) < 0) return false;
    if (state.district && p.district !== state.district) return false;
    if (state.directorate && p.directorate !== state.directorate) return false;
    if (state.service && p.service !== state.service) return false;
    return !state.q || p.search.indexOf(state.q.toLowerCase()) >= 0;
  }

  // ---- the map's points, made once; filtering only hides and shows them
  var pointLayer = document.getElementById("points");
  var mapped = projects.filter(function (p) { return p.x !== null; });
  var fragment = document.createDocumentFragment();
  mapped.forEach(function (p) {
    var a = document.createElementNS(SVG, "a");
    a.setAttribute("href", "projects/" + p.page);
    a.setAttribute("data-page", p.page);
    a.setAttribute("aria-label", p.name + ": RAG status " + p.rag + (p.district ? ", " + p.district : "") +
      ". Open the project's page");
    var dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", p.x);
    dot.setAttribute("cy", p.y);
    dot.setAttribute("r", "5");
    dot.setAttribute("class", ragClass(p.rag));
    var title = document.createElementNS(SVG, "title");
    title.textContent = p.name + " (" + p.rag + ")";
    dot.appendChild(title);
    a.appendChild(dot);
    fragment.appendChild(a);
    p.point = a;
    p.visible = true;
  });
  pointLayer.appendChild(fragment);

  // ---- lists that show PAGE rows at a time
  function Pager(name, container, row) {
    this.container = container;
    this.row = row;
    this.button = document.querySelector('button[data-more="' + name + '"]');
    this.items = [];
    this.shown = 0;
    var self = this;
    this.button.addEventListener("click", function () { self.more(); });
  }
  Pager.prototype.show = function (items) {
    this.items = items;
    this.shown = 0;
    this.container.textContent = "";
    this.more();
  };
  Pager.prototype.more = function () {
    var end = Math.min(this.items.length, this.shown + PAGE);
    var fragment = document.createDocumentFragment();
    for (var i = this.shown; i < end; i++) fragment.appendChild(this.row(this.items[i]));
    this.container.appendChild(fragment);
    var first = this.shown > 0 ? this.container.children[this.shown] : null;
    this.shown = end;
    var left = this.items.length - end;
    this.button.hidden = left <= 0;
    this.button.textContent = "Show " + Math.min(left, PAGE) + " more (" + left + " not shown)";
    if (first) { var link = first.querySelector("a"); if (link) link.focus(); }
  };

  var list = new Pager("list", document.querySelector("#list tbody"), function (p) {
    var tr = el("tr");
    var name = el("td");
    name.appendChild(projectLink(p));
    tr.appendChild(name);
    var rag = el("td");
    rag.appendChild(el("span", p.rag, "badge " + ragClass(p.rag)));
    tr.appendChild(rag);
    [p.direction, p.district, p.directorate, p.service, p.status].forEach(function (v) { tr.appendChild(el("td", v)); });
    return tr;
  });
  function sideRow(why) {
    return function (p) {
      var li = el("li");
      li.appendChild(projectLink(p));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", p.rag, "badge " + ragClass(p.rag)));
      if (why && data.unmapped[p.id]) li.appendChild(el("span", " (" + data.unmapped[p.id] + ")", "hint"));
      return li;
    };
  }
  var areaWide = new Pager("area-wide", document.getElementById("area-wide"), sideRow(false));
  var unmapped = new Pager("unmapped", document.getElementById("unmapped"), sideRow(true));

  // ---- counts and bars
  function setCounts(kind, counts, whole) {
    Object.keys(counts).forEach(function (key) {
      var cell = document.querySelector('[data-count="' + kind + '"][data-key="' + key + '"]');
      var bar = document.querySelector('[data-bar="' + kind + '"][data-key="' + key + '"]');
      if (cell) cell.textContent = counts[key];
      if (bar) bar.setAttribute("width", whole ? (100 * counts[key] / whole).toFixed(1) : "0");
    });
  }
  function tally(items, key, keys) {
    var counts = {};
    keys.forEach(function (k) { counts[k] = 0; });
    items.forEach(function (p) { counts[p[key]] = (counts[p[key]] || 0) + 1; });
    return counts;
  }
  function describe(count) {
    var parts = [];
    if (state.rag.length) parts.push("RAG " + state.rag.join(" or "));
    FILTERS.forEach(function (key) {
      if (state[key]) parts.push((key === "q" ? "name contains" : key) + " “" + state[key] + "”");
    });
    return parts.length ? "Showing " + count + " of " + projects.length + " projects: " + parts.join(", ") + "."
      : "Showing all " + projects.length + " projects.";
  }

  function render() {
    var start = performance.now();
    var shown = projects.filter(matches);
    var rags = tally(shown, "rag", data.ragOrder);
    var directions = tally(shown, "direction", data.directions);
    var most = Math.max.apply(null, data.ragOrder.map(function (r) { return rags[r]; }).concat([1]));
    setCounts("rag", rags, most);
    setCounts("direction", directions, Math.max.apply(null, data.directions.map(function (d) { return directions[d]; }).concat([1])));
    var due = 0, received = 0;
    shown.forEach(function (p) {
      if (data.receivedStatuses.indexOf(p.status) >= 0) received++;
      if (data.dueStatuses.indexOf(p.status) >= 0) due++;
    });
    setCounts("returns", { Due: due, Received: received }, Math.max(due, 1));
    mapped.forEach(function (p) {
      var visible = matches(p);
      if (visible !== p.visible) { p.point.classList.toggle("hidden", !visible); p.visible = visible; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("#districts a"), function (a) {
      var selected = a.getAttribute("data-district") === state.district;
      a.classList.toggle("selected", selected);
      if (selected) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
    list.show(shown);
    if (!shown.length) {
      var none = el("td", "No projects match these filters.");
      none.colSpan = 7;
      list.container.appendChild(el("tr")).appendChild(none);
    }
    areaWide.show(shown.filter(function (p) { return p.district === data.areaWide; }));
    unmapped.show(shown.filter(function (p) { return data.unmapped[p.id] !== undefined; }));
    document.getElementById("showing").textContent = describe(shown.length);
    window.pmoTimings.render = performance.now() - start;
    window.pmoTimings.renders += 1;
  }
  function update() { writeHash(); render(); }

  form.addEventListener("change", function () { readForm(); update(); });
  form.addEventListener("input", function (event) { if (event.target.name === "q") { readForm(); update(); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("clear").addEventListener("click", function () {
    state = { rag: [], district: "", directorate: "", service: "", q: "" };
    syncForm();
    update();
  });
  document.getElementById("districts").addEventListener("click", function (event) {
    var a = event.target.closest("a");
    if (!a) return;
    event.preventDefault();
    var name = a.getAttribute("data-district");
    state.district = state.district === name ? "" : name;
    syncForm();
    update();
  });
  // A project's page gets the filters in its hash, so its "Back to the list" link can restore them.
  document.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest("a[data-page]");
    if (a) a.setAttribute("href", "projects/" + a.getAttribute("data-page") + location.hash);
  });
  window.addEventListener("hashchange", function () { readHash(); syncForm(); render(); });

  window.pmoTimings = { renders: 0 };
  readHash();
  syncForm();
  render();
  window.pmoTimings.ready = performance.now();
})();
