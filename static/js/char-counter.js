// A field marked data-max-chars shows how many characters are left as one types (the reason of a request is
// 300 at most). Progressive enhancement: without JavaScript the limit is in the field's help and the server
// says on the field when the text is too long; nothing is ever cut (the field has no maxlength). Delegated from
// the document, like static/js/portal.js, so it also works on fragments HTMX swaps in.
(() => {
  // The count goes at the end of the field's help ("300 caractères au plus. 23 / 300 caractères"), said politely
  // to screen readers; a field without help gets its own line.
  const counterOf = (field) => {
    let counter = document.getElementById(`${field.id}_counter`);
    if (!counter) {
      const help = document.getElementById(`${field.id}_helptext`);
      counter = document.createElement(help ? "span" : "small");
      counter.id = `${field.id}_counter`;
      counter.className = "char-counter";
      counter.setAttribute("aria-live", "polite");
      if (help) help.append(" ", counter);
      else field.insertAdjacentElement("afterend", counter);
    }
    return counter;
  };
  // ``typed``: the user changed the text; until then, what the server said of the field (aria-invalid) stays.
  const update = (field, typed) => {
    const limit = Number(field.dataset.maxChars);
    if (!limit) return;
    const length = [...field.value].length;
    const counter = counterOf(field);
    const over = length > limit;
    const template = over ? field.dataset.counterOver : field.dataset.counterLeft;
    counter.textContent = (template || "%(count)s / %(limit)s")
      .replace("%(count)s", String(length))
      .replace("%(limit)s", String(limit))
      .replace("%(left)s", String(limit - length))
      .replace("%(over)s", String(length - limit));
    counter.classList.toggle("field-error", over);
    if (over) field.setAttribute("aria-invalid", "true");
    else if (typed) field.removeAttribute("aria-invalid");
  };
  const all = () => document.querySelectorAll("[data-max-chars]").forEach((field) => update(field, false));
  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("[data-max-chars]")) update(event.target, true);
  });
  document.addEventListener("htmx:afterSwap", all);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
