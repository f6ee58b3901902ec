// madoguchi admin: live LINE preview and 「試す」 in the FAQ editor and the unanswered inbox.
// Fragments are rendered (and escaped) by the server; they are parsed with DOMParser and moved in as nodes.
(function () {
  "use strict";

  function swap(target, html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    target.replaceChildren.apply(target, Array.prototype.slice.call(doc.body.childNodes));
  }

  function post(url, form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrf_token") || "" } })
      .then(function (r) { return r.text(); });
  }

  function livePreview(form) {
    var target = document.getElementById("preview");
    var url = form.getAttribute("data-preview-url");
    if (!target || !url) { return; }
    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        post(url, form).then(function (html) { swap(target, html); });
      }, 250);
    });
  }

  function tryBox(button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var form = document.getElementById(button.getAttribute("data-form"));
      var target = document.getElementById(button.getAttribute("data-target"));
      var input = document.getElementById(button.getAttribute("data-input"));
      post(button.getAttribute("data-url"), form, { q: input.value }).then(function (html) {
        swap(target, html);
      });
    });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(livePreview);
  document.querySelectorAll("button[data-try]").forEach(tryBox);
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
