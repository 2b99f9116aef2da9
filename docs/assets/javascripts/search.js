// Material links each search result to its page with ?h=<matched words>, and the page then
// highlights them. A page listed only because its sections matched gets an empty ?h=, so the
// reader lands on it with nothing marked: give those links the words that were searched.
(function () {
  "use strict";

  function fill(list) {
    var input = document.querySelector("input[data-md-component=search-query]");
    var words = input ? input.value.trim() : "";
    if (!words) return;
    list.querySelectorAll("a[href*='?h=']").forEach(function (link) {
      var url = new URL(link.href, document.baseURI);
      if (url.searchParams.get("h") === "") {
        url.searchParams.set("h", words);
        link.href = url.href;
      }
    });
  }

  function watch() {
    var list = document.querySelector(".md-search-result__list");
    if (!list) return;
    new MutationObserver(function () { fill(list); }).observe(list, {childList: true, subtree: true});
    fill(list);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
