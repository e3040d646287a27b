// "Copier" buttons: copy their data-copy text (an MSSanté address) to the clipboard. Without JavaScript or
// without the Clipboard API they stay hidden, and the address can still be selected or opened as a mailto: link.
(() => {
  if (!navigator.clipboard) return;
  const reveal = (root) => root.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
  document.addEventListener("DOMContentLoaded", () => reveal(document));
  document.addEventListener("htmx:afterSwap", (event) => reveal(event.target));
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    await navigator.clipboard.writeText(button.dataset.copy);
    button.setAttribute("aria-live", "polite");
    button.lastChild.textContent = " Copié";
  });
})();
