// Coordinator console: short polling (1.5 s) for the queue and the conversation, and an in-page reply box.
(function () {
  "use strict";
  var POLL_MS = 1500;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function poller(container, onData) {
    var url = container.getAttribute("data-poll");
    var version = "";
    var timer = null;
    function tick() {
      clearTimeout(timer);
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      fetch(url + sep + "since=" + encodeURIComponent(version), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (data) {
            // The first answer replaces the page's copy too: whatever changed between rendering the page and this
            // poll (a message that came in just then) would otherwise never show, its version being the baseline.
            onData(data, data.html !== null && data.html !== undefined);
            version = data.version;
          }
        })
        .catch(function () { /* offline for a moment: try again */ })
        .then(function () { timer = setTimeout(tick, POLL_MS); });
    }
    tick();
    return tick;
  }

  function scrollToEnd(box, force) {
    if (!box) { return; }
    var nearEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    if (force || nearEnd) { box.scrollTop = box.scrollHeight; }
  }

  var queue = document.getElementById("queue");
  if (queue) {
    poller(queue, function (data, changed) {
      if (changed) { queue.innerHTML = data.html; }
      Object.keys(data.counts || {}).forEach(function (key) {
        document.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) {
          el.textContent = data.counts[key];
        });
      });
    });
  }

  var conversation = document.getElementById("conversation");
  var refresh = null;
  if (conversation) {
    var first = document.getElementById("status-line");
    var status = first ? first.getAttribute("data-status") : "";
    var mode = first ? first.getAttribute("data-mode") : "";
    scrollToEnd(document.getElementById("transcript"), true);
    refresh = poller(conversation, function (data, changed) {
      if (changed) {
        var box = document.getElementById("transcript");
        var atEnd = !box || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
        conversation.innerHTML = data.html;
        scrollToEnd(document.getElementById("transcript"), atEnd);
      }
      if ((data.status && data.status !== status) || (data.mode && data.mode !== mode)) {
        window.location.reload();  // the action panel depends on the status
      }
    });
  }

  var form = document.getElementById("reply-form");
  if (form && window.fetch && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
      })
        .then(function (res) { return res.json(); })
        .then(function (data) {
          showMessage(data.ok ? data.message : data.error, !data.ok);
          if (data.ok) { form.querySelector("textarea").value = ""; }
          if (refresh) { refresh(); }
        })
        .catch(function () { showMessage("送信できませんでした。もう一度お試しください。", true); })
        .then(function () { button.disabled = false; });
    });
  }

  function showMessage(text, isError) {
    var note = document.getElementById("reply-status");
    if (!note) {
      note = document.createElement("p");
      note.id = "reply-status";
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.className = isError ? "flash error" : "flash";
    note.textContent = text || "";
  }
})();
