// Bourse PVD: small enhancements that need script (loaded after htmx; no inline script, CSP).
(function () {
  "use strict";
  // Keep the document title in step with the number of results after an htmx swap.
  document.addEventListener("htmx:after:swap", function () {
    var status = document.getElementById("nombre-resultats");
    if (status) { document.title = status.textContent.trim() + " – Bourse Petites villes de demain"; }
  });
})();
