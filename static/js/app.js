// Bourse PVD: small enhancements that need script (loaded after htmx; no inline script, CSP).
(function () {
  "use strict";
  // An htmx action replaces the button that had focus, which then falls to <body>: move it to
  // what the new content marks (the updated status, or the message explaining a refusal).
  document.addEventListener("htmx:after:swap", function () {
    var target = document.querySelector("[data-focus-after-swap]");
    if (target) { target.focus(); }
  });
  // After a refused form, move focus to the list of errors so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("erreurs");
    if (summary) { summary.focus(); }
  });
  // Unsafe htmx requests carry the CSRF token the layout put in <meta name="csrf-token">
  // (or, on a visitor's first page, the one in the page's form: the layout only has one once
  // the session holds a secret).
  document.addEventListener("htmx:config:request", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var field = document.querySelector('input[name="csrf_token"]');
    var token = meta ? meta.content : (field ? field.value : "");
    var request = event.detail && event.detail.ctx && event.detail.ctx.request;
    if (token && request && !/^(GET|HEAD)$/i.test(request.method)) {
      request.headers["X-CSRF-Token"] = token;
    }
  });
  // « Copier l’adresse de l’offre »: a plain link to the offer without script; with it, a button
  // that copies the address and says so in the page's status line.
  document.addEventListener("DOMContentLoaded", function () {
    var links = document.querySelectorAll("a[data-copy-link]");
    if (!navigator.clipboard) { return; }
    Array.prototype.forEach.call(links, function (link) {
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var status = document.getElementById("partage-statut");
        navigator.clipboard.writeText(link.href).then(function () {
          if (status) { status.textContent = link.getAttribute("data-copied-message"); }
        }, function () {
          if (status) { status.textContent = link.getAttribute("data-failed-message") + " " + link.href; }
        });
      });
    });
  });
})();
