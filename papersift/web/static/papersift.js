// papersift's own script (no inline script anywhere: the pages' CSP allows only files
// served by the site). A link marked data-back goes back in history when there is one.
"use strict";
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
