// Written for lossbook. Makes the widgets of a built page respond, with no kernel.
//
// The page shows each widget from the state saved when its chapter was executed; the
// widget manager (embed-amd.js) renders it. When `make notebooks` executed the chapter,
// the widget also recorded what it shows for every combination of its controls
// (lossbook/book/recording.py) into a <script type="application/vnd.lossbook.widget-states">
// beside it: gzip-compressed JSON in base64. This script hooks into the manager, listens
// to the controls' models, and answers every change with the recorded state for the
// controls' new values: the figure, the readouts, the controls shown.
//
// Needs: RequireJS and the widget manager (loaded before this file), DecompressionStream
// ("gzip"), async functions. Current Chromium, Firefox and Safari have all of them.
(function () {
  "use strict";
  var MIME = "application/vnd.lossbook.widget-states";
  var live = (window.lossbookLive = { widgets: [], errors: [] });
  var settle;
  live.ready = new Promise(function (resolve) { settle = resolve; });

  function decode(text) {
    var binary = atob(text.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  // A recorded value, with the figures' shared lines put back together.
  function rebuild(value, lines) {
    if (Array.isArray(value)) return value.map(function (v) { return rebuild(v, lines); });
    if (value && typeof value === "object") {
      var keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === "$lines") {
        return value.$lines.map(function (i) { return lines[i]; }).join("\n");
      }
      var out = {};
      keys.forEach(function (k) { out[k] = rebuild(value[k], lines); });
      return out;
    }
    return value;
  }

  function LiveWidget(models, record) {
    var self = this;
    this.models = models;
    this.record = record;
    this.cache = {};
    this.applying = false;
    this.changes = 0;
    this.missing = 0;
    this.controls = record.controls.map(function (control) {
      var model = models[control.id];
      if (!model) throw new Error("lossbook: recorded control " + control.id + " is not on the page");
      return { spec: control, model: model };
    });
    // The sets of controls that are visible together: one per key shape.
    var shapes = {};
    Object.keys(record.states).forEach(function (key) {
      var shape = key.split(",").map(function (part) { return +part.split(":")[0]; });
      shapes[shape.join(",")] = shape;
    });
    this.shapes = Object.keys(shapes).map(function (k) { return shapes[k]; });
    this.controls.forEach(function (control) {
      var attr = control.spec.kind === "dropdown" ? "index" : "value";
      control.model.on("change:" + attr, function () { self.respond(); });
    });
  }

  LiveWidget.prototype.position = function (i) {
    var control = this.controls[i], spec = control.spec, model = control.model;
    if (spec.kind === "dropdown") return model.get("index");
    if (spec.kind === "checkbox") return model.get("value") ? 1 : 0;
    var k = Math.round((model.get("value") - spec.min) / spec.step);
    return Math.min(Math.max(k, 0), spec.n - 1);
  };

  LiveWidget.prototype.value = function (i) {
    if (!(i in this.cache)) this.cache[i] = rebuild(this.record.values[i], this.record.lines);
    return this.cache[i];
  };

  // Model references ("IPY_MODEL_<id>") become the models, as the manager's own
  // deserializer does.
  LiveWidget.prototype.unpack = function (value) {
    var self = this;
    if (typeof value === "string" && value.indexOf("IPY_MODEL_") === 0) return this.models[value.slice(10)];
    if (Array.isArray(value)) return value.map(function (v) { return self.unpack(v); });
    return value;
  };

  LiveWidget.prototype.respond = function () {
    if (this.applying) return;
    shimMathJax();
    for (var s = 0; s < this.shapes.length; s++) {
      var self = this;
      var key = this.shapes[s].map(function (i) { return i + ":" + self.position(i); }).join(",");
      var row = this.record.states[key];
      if (row) {
        this.apply(row);
        this.changes += 1;
        return;
      }
    }
    this.missing += 1;
    console.warn("lossbook: no recorded state for the controls' values");
  };

  LiveWidget.prototype.apply = function (row) {
    this.applying = true;
    try {
      for (var j = 0; j < row.length; j++) {
        if (row[j] < 0) continue;
        var attr = this.record.attrs[j], model = this.models[attr[0]], name = attr[1];
        var value = this.value(row[j]);
        var serializer = model.constructor.serializers && model.constructor.serializers[name];
        if (serializer && serializer.deserialize) value = this.unpack(value);
        model.set(name, value);
      }
    } finally {
      this.applying = false;
    }
  };

  // The widget manager typesets descriptions with MathJax 2's API (MathJax.Hub.Queue);
  // the book loads MathJax 3, so that call is mapped onto MathJax 3's typesetPromise.
  function shimMathJax() {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub) return;
    mathjax.Hub = {
      Queue: function (job) {
        var element = job && job[2];
        if (element && window.MathJax.typesetPromise) {
          window.MathJax.typesetPromise([element]).catch(function () {});
        }
      }
    };
  }

  async function attach(manager, models) {
    shimMathJax();
    var byId = {};
    models.forEach(function (m) { byId[m.model_id] = m; });
    var tags = document.querySelectorAll('script[type="' + MIME + '"]');
    for (var t = 0; t < tags.length; t++) {
      if (!(tags[t].dataset.root in byId)) continue;
      try {
        live.widgets.push(new LiveWidget(byId, await decode(tags[t].textContent)));
      } catch (error) {
        live.errors.push(String(error));
        console.error(error);
      }
    }
  }

  // A recorded figure carries its description as the SVG's <title>; the widget manager
  // shows it as an <img> without alt text, so the title becomes the alt text.
  function describeImages(root) {
    var images = root.querySelectorAll ? root.querySelectorAll(".widget-output img:not([alt])") : [];
    for (var i = 0; i < images.length; i++) {
      var src = images[i].getAttribute("src") || "", comma = src.indexOf(",");
      if (src.indexOf("data:image/svg+xml") !== 0) continue;
      var body = src.slice(comma + 1);
      var svg = /;base64$/.test(src.slice(0, comma)) ? atob(body) : decodeURIComponent(body);
      var title = /<title>([^<]*)<\/title>/.exec(svg);
      if (title) {
        var text = document.createElement("textarea");
        text.innerHTML = title[1];
        images[i].setAttribute("alt", text.value);
      }
    }
  }
  new MutationObserver(function (records) {
    records.forEach(function (record) { describeImages(record.target); });
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.require(["@jupyter-widgets/html-manager"], function (htmlmanager) {
    var proto = htmlmanager.HTMLManager.prototype;
    var setState = proto.set_state;
    proto.set_state = async function () {
      var models = await setState.apply(this, arguments);
      await attach(this, models);
      settle(live);
      return models;
    };
  });
})();
