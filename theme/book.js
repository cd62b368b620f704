// Offer the whole book as one PDF, when the site has it (see book-pdf.js): an item in the
// theme's download menu of every page, and the paragraph of the landing page that offers it
// (an element with class "book-pdf-offer", hidden until this fills its link and size).
(function () {
  function offer() {
    var pdf = window.BOOK_PDF;
    if (!pdf || !pdf.href) return;
    var root = document.documentElement.dataset.content_root || "";
    var href = root + pdf.href;
    var about = pdf.pages + " pages, " + pdf.megabytes.toFixed(1) + " MB";

    document.querySelectorAll(".dropdown-download-buttons ul.dropdown-menu").forEach(function (menu) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = href;
      link.className = "btn btn-sm dropdown-item book-pdf-download";
      link.title = "The whole book as one PDF (" + about + ")";
      link.setAttribute("data-bs-placement", "left");
      link.innerHTML =
        '<span class="btn__icon-container"><i class="fas fa-book"></i></span>' +
        '<span class="btn__text-container">Book (.pdf)</span>';
      item.appendChild(link);
      menu.appendChild(item);
    });

    document.querySelectorAll(".book-pdf-offer").forEach(function (paragraph) {
      paragraph.querySelectorAll("a.book-pdf-link").forEach(function (a) { a.href = href; });
      paragraph.querySelectorAll(".book-pdf-size").forEach(function (s) { s.textContent = about; });
      paragraph.hidden = false;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", offer);
  } else {
    offer();
  }
})();
