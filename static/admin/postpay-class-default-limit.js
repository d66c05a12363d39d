// R37: choosing an account class pre-fills the postpaid limit of a new pre-approved account
// with the class's default limit; a limit typed by hand is kept.
"use strict";
document.addEventListener("change", (event) => {
  const select = event.target;
  if (select.name !== "account_class" || !select.form) return;
  const limit = select.form.querySelector("input[name=postpaid_limit]");
  if (!limit) return;
  if (limit.value !== "" && limit.value !== limit.dataset.prefilled) return;
  const option = select.selectedOptions[0];
  limit.value = (option && option.dataset.defaultLimit) || "";
  limit.dataset.prefilled = limit.value;
});
