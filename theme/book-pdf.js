// Where the whole book as one PDF is, if it was built. The site as `make book` builds it has no
// PDF, so this says so (null) and no page links one (no 404). `make pdf` (scripts/build_pdf.py
// --copy-to-site) puts the PDF in the site and overwrites the site's copy of this file with
// its details, e.g. window.BOOK_PDF = {"href": "book.pdf", "pages": 200, "megabytes": 9.1};
window.BOOK_PDF = null;
