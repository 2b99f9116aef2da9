// Draws each ```mermaid block (rendered by superfences as <pre class="diagram">) into an
// inline SVG with the Mermaid bundled beside this file. Only pages with a diagram load either.
(async function () {
  if (typeof mermaid === "undefined") return;
  mermaid.initialize({ startOnLoad: false, theme: "neutral", fontSize: 16,
                       flowchart: { useMaxWidth: false, htmlLabels: true,
                                    nodeSpacing: 16, rankSpacing: 28, padding: 6 } });
  const blocks = Array.from(document.querySelectorAll("pre.diagram"));
  for (const [index, block] of blocks.entries()) {
    const { svg } = await mermaid.render(`diagram-${index}`, block.textContent);
    const figure = document.createElement("div");
    figure.className = "diagram";
    figure.setAttribute("role", "img");
    const caption = block.nextElementSibling;
    if (caption) figure.setAttribute("aria-label", caption.textContent.trim());
    figure.innerHTML = svg;
    block.replaceWith(figure);
  }
})();
