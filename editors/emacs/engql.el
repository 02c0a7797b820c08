;;; engql.el --- engql files in Emacs, served by `engql lsp' through eglot  -*- lexical-binding: t; -*-

;;; Commentary:
;; A mode for *.engql files (comments and strings as the language has them) whose
;; buffers start eglot, Emacs 29's built-in LSP client, with `engql lsp'.

;;; Code:

(defvar eglot-server-programs)
(declare-function eglot-ensure "eglot")

(defvar engql-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; "--" to the end of the line, and "/* ... */", as in sql-mode.
    (modify-syntax-entry ?- ". 12b" table)
    (modify-syntax-entry ?\n "> b" table)
    (modify-syntax-entry ?/ ". 14" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?' "\"" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?. "_" table)
    table)
  "Syntax table for `engql-mode'.")

;;;###autoload
(define-derived-mode engql-mode prog-mode "engql"
  "Major mode for engql queries."
  (setq-local comment-start "-- ")
  (setq-local comment-end ""))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.engql\\'" . engql-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(engql-mode . ("engql" "lsp"))))

(add-hook 'engql-mode-hook #'eglot-ensure)

(provide 'engql)
;;; engql.el ends here
