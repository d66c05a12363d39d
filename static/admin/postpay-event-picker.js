// A webhook endpoint's event picker: "All events" alone, or some types — never both ticked.
"use strict";
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.name !== "events" || box.type !== "checkbox" || !box.checked || !box.form) return;
  for (const other of box.form.querySelectorAll("input[type=checkbox][name=events]")) {
    if (other !== box && (box.value === "*" || other.value === "*")) other.checked = false;
  }
});
