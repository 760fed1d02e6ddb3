// The theme chosen in « Paramètres d’affichage » (DSFR keeps it in localStorage « scheme »),
// applied before the page paints so a dark choice does not flash light on every page.
(function () {
  var root = document.documentElement;
  var scheme;
  try {
    scheme = window.localStorage.getItem("scheme");
  } catch (e) {
    scheme = null;
  }
  var dark =
    scheme === "dark" ||
    ((scheme === "system" || !scheme) &&
      window.matchMedia &&
      window.matchMedia("(prefers-color-scheme: dark)").matches);
  if (dark) {
    root.setAttribute("data-fr-theme", "dark");
    root.style.colorScheme = "dark";
  }
})();
