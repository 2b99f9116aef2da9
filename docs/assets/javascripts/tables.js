// A table wider than the screen scrolls inside its own box; without a hint a reader never
// learns that the key columns are off to the right. Each such box gets a line above it.
(function () {
  "use strict";
  var HINT = "table-scroll-hint";
  // A table's width changes after page ready when its fonts (the CJK one) arrive: watch each.
  var watcher = typeof ResizeObserver !== "undefined" ? new ResizeObserver(function () { mark(); }) : null;

  function scroller(table) {
    // Material wraps Markdown tables in .md-typeset__scrollwrap; a DataFrame table scrolls itself.
    return table.closest(".md-typeset__scrollwrap") || table;
  }

  function mark() {
    document.querySelectorAll("article table").forEach(function (table) {
      var box = scroller(table);
      if (watcher) {
        watcher.observe(table);  // observing a table twice is a no-op
      }
      var hint = box.previousElementSibling;
      if (!hint || !hint.classList.contains(HINT)) {
        hint = document.createElement("p");
        hint.className = HINT;
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "表格比畫面寬：左右捲動可看其餘欄位 →";
        box.parentNode.insertBefore(hint, box);
      }
      hint.hidden = box.scrollWidth <= box.clientWidth + 1;
    });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(mark);  // Material's "page ready", after it has wrapped the tables
  } else {
    document.addEventListener("DOMContentLoaded", mark);
  }
  window.addEventListener("resize", mark);
  window.addEventListener("load", mark);
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(mark);
  }
})();
