// A plot drawn 990 px wide and shown in a phone's 320 px column has axis text a few pixels
// high. A plot shown smaller than it was drawn says so below it, and a tap (or Enter) opens
// it at its own size in a layer that scrolls; a tap, Escape or Enter closes it.
(function () {
  "use strict";
  var NOTE = "figure-zoom-note";
  var opener = null;

  function close() {
    var layer = document.querySelector(".figure-zoom");
    if (!layer) return;
    layer.remove();
    if (opener) opener.focus({preventScroll: true});  // back where the reader was
  }

  function open(img) {
    close();
    opener = img;
    var layer = document.createElement("div");
    layer.className = "figure-zoom";
    layer.setAttribute("role", "dialog");
    layer.setAttribute("aria-label", img.alt || "圖");
    layer.tabIndex = -1;
    var big = document.createElement("img");
    big.src = img.src;
    big.alt = img.alt;
    layer.appendChild(big);
    layer.addEventListener("click", close);
    layer.addEventListener("keydown", function (event) {
      if (event.key === "Enter") close();
    });
    document.body.appendChild(layer);
    layer.focus();
  }

  function prepare(img) {
    var shrunk = img.clientWidth > 0 && img.clientWidth < img.naturalWidth - 1;
    var note = img.nextElementSibling;
    if (!note || !note.classList.contains(NOTE)) {
      note = document.createElement("p");
      note.className = NOTE;
      note.setAttribute("aria-hidden", "true");
      note.textContent = "圖已縮小：點一下看原尺寸";
      img.insertAdjacentElement("afterend", note);
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      img.addEventListener("click", function () { open(img); });
      img.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); open(img); }
      });
    }
    note.hidden = !shrunk;
  }

  function mark() {
    document.querySelectorAll(".jp-RenderedImage img").forEach(function (img) {
      if (img.complete) prepare(img);
      else img.addEventListener("load", function () { prepare(img); });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
  if (typeof document$ !== "undefined") document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
