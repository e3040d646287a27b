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

// Errors of HTMX requests (issue 11): a refused form (400) is swapped in by the htmx-config of base.html and says
// on its fields what to change; any other error status, or no answer at all, swaps nothing, so it is said here,
// in French (the messages come translated in base.html's <meta name="portal-request-errors">), in an alert just
// before the element that made the request. The next answer of that element clears it.
(() => {
  const messageFor = (status) => {
    const messages = document.querySelector('meta[name="portal-request-errors"]');
    if (!messages) return "";
    const data = messages.dataset;
    if (status === 0) return data.network;
    if (data[status]) return data[status];
    return status >= 500 ? data.server : data.other;
  };
  const anchorOf = (elt) => (elt && elt.closest && (elt.closest("form") || elt)) || null;
  const say = (elt, status) => {
    const anchor = anchorOf(elt);
    const text = messageFor(status);
    if (!anchor || !anchor.parentNode || !text) return;
    let box = anchor.previousElementSibling;
    if (!box || !box.classList.contains("request-error")) {
      box = document.createElement("p");
      box.className = "message message-error request-error";
      box.setAttribute("role", "alert");
      anchor.parentNode.insertBefore(box, anchor);
    }
    box.textContent = "";
    box.textContent = text; // emptied first, so that the same message said twice is announced twice
  };
  document.addEventListener("htmx:responseError", (event) => {
    say(event.detail.elt, event.detail.xhr ? event.detail.xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", (event) => say(event.detail.elt, 0));
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!event.detail.successful && !(event.detail.xhr && event.detail.xhr.status === 400)) return;
    const anchor = anchorOf(event.detail.elt);
    const box = anchor && anchor.previousElementSibling;
    if (box && box.classList.contains("request-error")) box.remove();
  });
})();

// The error banner at the top of a page after a refused form (referrals/_page_errors.html, issue 11): it takes the
// focus when the page opens, so that it is read first; each of its links moves the focus to the field in error
// (a link to an id only scrolls), opening the folded section that holds it.
(() => {
  const focusField = (id) => {
    const field = document.getElementById(id);
    if (!field) return false;
    for (let node = field.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (!field.matches("input, select, textarea, button, a[href], [tabindex]")) field.setAttribute("tabindex", "-1");
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
    return true;
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-focus-target]");
    if (!link) return;
    if (focusField(link.dataset.focusTarget)) event.preventDefault();
  });
  const focusBanner = () => {
    const banner = document.getElementById("page-errors");
    if (banner) banner.focus();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusBanner);
  else focusBanner();
})();
