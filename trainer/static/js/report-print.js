// The report's print view: a 「印刷する」 button (shown only when this script runs).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
