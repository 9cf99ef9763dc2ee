// ebbtide web: small enhancements only (every page works without this file).
// Drag and drop with upload progress, copy buttons, and the charts (data from a JSON block,
// because the page's security policy allows no inline code). Talks to nothing but this app.
(function () {
  "use strict";

  function drawCharts() {
    var block = document.getElementById("chart-data");
    if (!block) return;
    var figs;
    try { figs = JSON.parse(block.textContent); } catch (e) { return; }
    var go = function () {
      if (!window.Plotly) return;
      figs.forEach(function (f) {
        var el = document.getElementById("chart-" + f.id);
        if (el) window.Plotly.newPlot(el, f.data, f.layout, { displaylogo: false, responsive: true, displayModeBar: false });
      });
    };
    if (window.Plotly) { go(); return; }
    var s = document.createElement("script");
    s.src = "/static/plotly.min.js";
    s.onload = go;
    document.head.appendChild(s);
  }

  function setupCopy() {
    document.querySelectorAll("button.copy").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy"));
        if (!target) return;
        var text = target.textContent.trim();
        var done = function () {
          var old = btn.textContent;
          btn.textContent = "Copied";
          var status = document.getElementById("copied");
          if (status) status.textContent = "Copied to the clipboard: " + text;
          setTimeout(function () { btn.textContent = old; }, 1600);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
        } else { fallbackCopy(text); done(); }
      });
    });
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing else to try */ }
    document.body.removeChild(area);
  }

  function setupImport() {
    var form = document.getElementById("import-form");
    if (!form) return;
    var input = document.getElementById("files");
    var drop = document.getElementById("drop");
    var chosen = document.getElementById("chosen");
    var bar = document.getElementById("progress");
    var status = document.getElementById("status");
    var show = function () {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      chosen.textContent = names.length ? "Chosen: " + names.join(", ") : "";
    };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
    });
    form.addEventListener("submit", function (e) {
      if (!input.files.length) { e.preventDefault(); status.textContent = "Choose or drop a file first."; return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      status.textContent = "Sending the files to ebbtide on this computer…";
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) bar.value = Math.round(100 * p.loaded / p.total);
      });
      xhr.upload.addEventListener("load", function () { bar.removeAttribute("value"); status.textContent = "Reading the messages (this can take a little while for long chats)…"; });
      xhr.addEventListener("load", function () {
        if (xhr.status < 400 && xhr.responseURL) { window.location.assign(xhr.responseURL); }
        else { document.open(); document.write(xhr.responseText); document.close(); }
      });
      xhr.addEventListener("error", function () { status.textContent = "The upload did not work; please try again."; });
      xhr.send(new FormData(form));
    });
  }

  // Quick exit: the button or Esc replaces this page with a neutral one; location.replace keeps the
  // app out of the tab's back button for this entry (evidence.md 7.1, NNEDV guidance).
  function leave(e) {
    var link = document.getElementById("leave");
    if (!link) return;
    if (e) e.preventDefault();
    document.title = "";
    document.body.innerHTML = "";
    window.location.replace(link.getAttribute("data-exit") || link.href);
  }

  function setupLeave() {
    var link = document.getElementById("leave");
    if (!link) return;
    link.addEventListener("click", leave);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") leave(e); });
  }

  // The one-time link (?t=...) never stays in the tab's history.
  function forgetToken() {
    if (!window.history || !window.history.replaceState) return;
    var url = new URL(window.location.href);
    if (!url.searchParams.has("t")) return;
    url.searchParams.delete("t");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  forgetToken();
  setupLeave();
  document.addEventListener("DOMContentLoaded", function () { drawCharts(); setupCopy(); setupImport(); });
})();
