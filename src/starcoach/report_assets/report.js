
(function () {
  "use strict";
  var audios = [];
  function num(el, name) { var v = parseFloat(el.getAttribute(name)); return isFinite(v) ? v : 0; }
  function setup(root) {
    var audio = root.querySelector("audio");
    var box = root.querySelector(".transcript");
    var words = Array.prototype.slice.call(root.querySelectorAll(".w"));
    var starts = words.map(function (w) { return num(w, "data-start"); });
    var ends = words.map(function (w) { return num(w, "data-end"); });
    var current = null, stopAt = null, frame = 0;
    function indexAt(t) {
      var lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) { var mid = (lo + hi) >> 1; if (starts[mid] <= t + 0.001) { found = mid; lo = mid + 1; } else { hi = mid - 1; } }
      return found;
    }
    function reveal(w) {
      if (!box || !w) return;
      var b = box.getBoundingClientRect(), r = w.getBoundingClientRect();
      if (r.top < b.top + 8 || r.bottom > b.bottom - 8) { box.scrollTop += r.top - b.top - b.height / 3; }
    }
    function mark(i) {
      var w = i >= 0 ? words[i] : null;
      if (w === current) return;
      if (current) current.classList.remove("now");
      current = w;
      if (w) { w.classList.add("now"); reveal(w); }
    }
    function flash(t0, t1) {
      var first = null;
      words.forEach(function (w, i) {
        var on = starts[i] >= t0 - 0.01 && ends[i] <= t1 + 0.01;
        w.classList.toggle("flash", on);
        if (on && !first) first = w;
      });
      if (!first) { var i = indexAt(t0); first = i >= 0 ? words[i] : null; }
      if (first) {
        var r = (box || first).getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) (box || first).scrollIntoView({ block: "nearest" });
        reveal(first);
      }
    }
    function tick() {
      if (!audio) return;
      var t = audio.currentTime;
      if (stopAt !== null && t >= stopAt) { stopAt = null; audio.pause(); }
      mark(indexAt(t));
    }
    function loop() { tick(); if (audio && !audio.paused) frame = window.requestAnimationFrame(loop); }
    function seek(t, until) {
      stopAt = until === undefined ? null : until;
      mark(indexAt(t));
      if (!audio) return;
      try { audio.currentTime = t; } catch (e) { return; }
      var p = audio.play();
      if (p && typeof p.catch === "function") p.catch(function () {});
    }
    root.addEventListener("click", function (ev) {
      var el = ev.target;
      if (!el || !el.closest) return;
      var w = el.closest(".w");
      if (w) { words.forEach(function (x) { x.classList.remove("flash"); }); seek(num(w, "data-start")); return; }
      var q = el.closest("[data-seek]");
      if (q) {
        var t0 = num(q, "data-seek");
        if (q.hasAttribute("data-end")) { var t1 = num(q, "data-end"); flash(t0, t1); seek(t0, t1 + 0.15); }
        else { seek(t0); }
        return;
      }
      var area = el.closest(".seek-area");
      if (area) {
        var box2 = area.getBoundingClientRect();
        var vb = num(area, "data-vbw"), x0 = num(area, "data-x0"), x1 = num(area, "data-x1");
        var x = (ev.clientX - box2.left) / box2.width * vb;
        var t = (x - x0) / (x1 - x0) * num(area, "data-span");
        if (isFinite(t)) seek(Math.max(0, t));
      }
    });
    if (audio) {
      audios.push(audio);
      audio.addEventListener("timeupdate", tick);
      audio.addEventListener("seeked", tick);
      audio.addEventListener("play", function () {
        audios.forEach(function (other) { if (other !== audio) other.pause(); });
        window.cancelAnimationFrame(frame);
        frame = window.requestAnimationFrame(loop);
      });
      audio.addEventListener("pause", function () { window.cancelAnimationFrame(frame); tick(); });
    }
  }
  Array.prototype.forEach.call(document.querySelectorAll(".answer"), setup);
})();
