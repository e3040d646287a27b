// Behaviours of the pages that used to be inline code: the Content-Security-Policy runs no inline script, no
// inline handler and no string evaluated by HTMX. Every handler is delegated from the document, so it also works
// on fragments HTMX swaps in.
(() => {
  // A search field marked data-enter-search runs its HTMX search on Enter instead of submitting its form.
  document.addEventListener("keydown", (event) => {
    const field = event.target.closest && event.target.closest("[data-enter-search]");
    if (!field || event.key !== "Enter" || !window.htmx) return;
    event.preventDefault();
    window.htmx.trigger(field, "search");
  });

  // A change of a radio named "recipient" becomes a "recipient-change" event, which the notices listen to
  // (an HTMX trigger filter would need eval).
  document.addEventListener("change", (event) => {
    if (event.target.name === "recipient") {
      event.target.dispatchEvent(new CustomEvent("recipient-change", { bubbles: true }));
    }
  });

  // What allauth's WebAuthn script only writes to the console (cancelled, no answer, key already registered) is
  // said in the page's live region (templates/mfa/webauthn/snippets/error.html).
  document.addEventListener("allauth.error", (event) => {
    const box = document.getElementById("webauthn-error");
    if (!box) return;
    event.preventDefault();
    const duplicate = event.detail && event.detail.exception && event.detail.exception.name === "InvalidStateError";
    box.className = "form-errors";
    box.textContent = duplicate ? box.dataset.messageDuplicate : box.dataset.message;
  });
})();
