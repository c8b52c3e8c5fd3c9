// The unit switcher submits as soon as a unit is chosen (without JavaScript, a button shows).
// A script file, not an onchange attribute: the Content-Security-Policy runs no inline code.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("unit-switch");
  if (select) select.addEventListener("change", () => select.form.submit());
});
