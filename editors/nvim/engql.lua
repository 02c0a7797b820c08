-- engql in Neovim 0.11 or later: *.engql files are engql, and `engql lsp` serves them.
vim.filetype.add({ extension = { engql = "engql" } })

vim.api.nvim_create_autocmd("FileType", {
  pattern = "engql",
  callback = function()
    vim.bo.commentstring = "-- %s"
  end,
})

vim.lsp.config("engql", {
  cmd = { "engql", "lsp" },
  filetypes = { "engql" },
  root_markers = { ".git" },
  -- true lets the server read the IDs files a query names, beside the document.
  settings = { engql = { allowFiles = false } },
})
vim.lsp.enable("engql")
