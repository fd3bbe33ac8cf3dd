// dosewise: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  var PARTIAL = { "X-Dosewise-Partial": "1" };

  function announce(text) {
    var live = document.getElementById("live");
    if (live) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 50); }
  }

  function post(url, form) {
    return fetch(url, { method: "POST", body: new FormData(form), headers: PARTIAL, credentials: "same-origin" })
      .then(function (response) { return response.text().then(function (html) { return { ok: response.ok, html: html }; }); });
  }

  // Live preview: a form with data-live posts itself (debounced) and shows the fragment that comes back.
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var target = document.querySelector(form.getAttribute("data-live-target"));
    var timer = null;
    function refresh() {
      post(form.getAttribute("data-live"), form).then(function (result) {
        target.innerHTML = result.html;
      });
    }
    form.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(refresh, 400); });
    form.addEventListener("change", function () { window.clearTimeout(timer); timer = window.setTimeout(refresh, 150); });
  });

  // Swap: add or remove without a page load; the fragment replaces the target (the interaction panel).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-swap")) { return; }
    var target = document.querySelector(form.getAttribute("data-swap"));
    if (!target) { return; }
    event.preventDefault();
    post(form.getAttribute("action"), form).then(function (result) {
      if (result.ok) {
        target.innerHTML = result.html;
        if (form.hasAttribute("data-reset")) { form.reset(); }
        announce("Medicine list and interactions updated.");
      } else {
        var box = document.createElement("div");
        box.innerHTML = result.html;
        form.parentNode.insertBefore(box, form);
      }
    });
  });

  // One submission per dose form (the server is idempotent anyway; this just avoids a second click).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-once") && !event.defaultPrevented) {
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      }, 0);
    }
  });

  // Medicine search: suggestions from the knowledge base as you type.
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var matches = document.getElementById("drug-matches");
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var query = input.value.trim();
        if (query.length < 2) { list.innerHTML = ""; if (matches) { matches.textContent = ""; } return; }
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(query), { headers: PARTIAL, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (html) {
            list.innerHTML = html;
            if (matches) {
              var names = Array.prototype.map.call(list.querySelectorAll("option"), function (o) { return o.textContent.trim(); });
              matches.textContent = names.length ? "Matches: " + names.slice(0, 5).join("; ") : "Not in the knowledge base: it will be listed as not screened.";
            }
          });
      }, 250);
    });
  });

  // Registration: fill in the browser's time zone.
  document.querySelectorAll("form[data-timezone] input[name=timezone]").forEach(function (input) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && (!input.value || input.value === "UTC")) { input.value = zone; }
    } catch (e) { /* keep UTC */ }
  });

  // The section menu: say "scroll for more" while it overflows (a narrow screen), and where it stands.
  document.querySelectorAll("nav.sections").forEach(function (nav) {
    var list = nav.querySelector("ul");
    function update() {
      var more = list.scrollWidth - list.clientWidth - list.scrollLeft > 4;
      nav.toggleAttribute("data-scrolls", list.scrollWidth > list.clientWidth + 4);
      nav.toggleAttribute("data-more", more);
    }
    var current = list.querySelector("[aria-current]");
    if (current && current.scrollIntoView) { current.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    list.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  });

  // Long input is never erased: what was typed is kept in this tab while the form is sent, and put back
  // when the page comes back with an error (the server keeps only what fits in its message cookie).
  var KEEP = "dosewise-typed:";
  function keepable(field) {
    return field.name && (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" &&
      ["hidden", "password", "checkbox", "radio", "submit", "file"].indexOf(field.type) < 0));
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute || (form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    var typed = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (keepable(field) && field.value) { typed[field.name] = field.value; }
    });
    try { window.sessionStorage.setItem(KEEP + form.getAttribute("action"), JSON.stringify(typed)); } catch (e) { /* full or off */ }
  }, true);
  var refused = document.querySelector(".flash[data-refused]");
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    var key = KEEP + form.getAttribute("action");
    var saved = null;
    try { saved = window.sessionStorage.getItem(key); window.sessionStorage.removeItem(key); } catch (e) { return; }
    if (!saved || !refused) { return; }
    var typed = JSON.parse(saved);
    Array.prototype.forEach.call(form.elements, function (field) {
      var value = typed[field.name];
      if (keepable(field) && value && value.length > field.value.length) { field.value = value; }
    });
  });

  // Move focus to a message after a form round trip, so keyboard and screen-reader users hear it.
  var flash = document.querySelector("[data-focus]");
  if (flash) { flash.focus(); }
})();
