-- Neovim (0.7+) as a second real editor: its built-in LSP client attached to `node dist/cli.js lsp --stdio` on a
-- Markdown buffer. Run by test/nvim/run.sh as `nvim --headless -u NONE -c 'luafile test/nvim/lsp.lua'`.
-- Exits 0 when diagnostics (word-choice, spelling), a hover and two applied quick fixes all behave; 1 otherwise.
local root = assert(os.getenv('PLAUSIBILITY_ROOT'), 'PLAUSIBILITY_ROOT is not set')
local workdir = assert(os.getenv('PLAUSIBILITY_NVIM_DIR'), 'PLAUSIBILITY_NVIM_DIR is not set')
local TIMEOUT = 300000
local TEXT = 'I got a letter form the council about the new road. It was a beatiful day for a walk.'

local function log(msg) io.stderr:write('[nvim] ' .. msg .. '\n') end

local raw = {} -- the last publishDiagnostics params per URI, as the server sent them
local handlers = {
  ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    raw[result.uri] = result
    return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
  end,
}

local function codes(diags)
  local out = {}
  for _, d in ipairs(diags or {}) do table.insert(out, d.code) end
  table.sort(out)
  return table.concat(out, ',')
end

local function find(diags, code)
  for _, d in ipairs(diags or {}) do if d.code == code then return d end end
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

local function run()
  local path = workdir .. '/note.md'
  local f = assert(io.open(path, 'w'))
  f:write(TEXT .. '\n')
  f:close()
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'markdown'
  local uri = vim.uri_from_bufnr(buf)

  local client_id = vim.lsp.start_client({
    name = 'plausibility',
    cmd = { 'node', root .. '/dist/cli.js', 'lsp', '--stdio' },
    root_dir = workdir,
    handlers = handlers,
  })
  assert(client_id, 'vim.lsp.start_client failed')
  assert(vim.lsp.buf_attach_client(buf, client_id), 'buf_attach_client failed')
  local client = vim.lsp.get_client_by_id(client_id)

  -- 1. Diagnostics with the expected rule ids, in Neovim's own diagnostic list too.
  local ok = vim.wait(TIMEOUT, function()
    local r = raw[uri]
    return r ~= nil and find(r.diagnostics, 'plausibility/word-choice') ~= nil and find(r.diagnostics, 'plausibility/spelling') ~= nil
  end, 50)
  assert(ok, 'no diagnostics with plausibility/word-choice and plausibility/spelling; got: ' .. codes(raw[uri] and raw[uri].diagnostics))
  local shown = vim.diagnostic.get(buf)
  assert(#shown >= 2, 'vim.diagnostic.get shows ' .. #shown .. ' diagnostics')
  for _, d in ipairs(shown) do
    assert(d.source == 'plausibility', 'diagnostic source ' .. tostring(d.source))
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    assert(type(code) == 'string' and code:match('^plausibility/'), 'diagnostic code ' .. tostring(code))
  end
  log('diagnostics: ' .. codes(raw[uri].diagnostics))

  -- 2. A hover on "form".
  local wc = find(raw[uri].diagnostics, 'plausibility/word-choice')
  vim.api.nvim_win_set_cursor(0, { wc.range.start.line + 1, wc.range.start.character + 1 })
  local hovers = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(), TIMEOUT)
  local hover = hovers and hovers[client_id] and hovers[client_id].result
  assert(hover and hover.contents, 'no hover on "form"')
  local value = type(hover.contents) == 'table' and (hover.contents.value or '') or tostring(hover.contents)
  assert(value:find('from', 1, true) and value:find('more likely', 1, true), 'hover text: ' .. value)
  log('hover: ' .. value:gsub('\n', ' '))

  -- 3. The preferred quick fix of each finding, applied as Neovim applies workspace edits.
  local function apply_fix(code, expect)
    local ready = vim.wait(TIMEOUT, function()
      local r = raw[uri]
      return r ~= nil and find(r.diagnostics, code) ~= nil
    end, 50)
    assert(ready, 'no ' .. code .. ' diagnostic to fix')
    local d = find(raw[uri].diagnostics, code)
    local params = { textDocument = { uri = uri }, range = d.range, context = { diagnostics = { d } } }
    local answers = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, TIMEOUT)
    local actions = answers and answers[client_id] and answers[client_id].result or {}
    local chosen
    for _, a in ipairs(actions) do if a.isPreferred and a.edit then chosen = a end end
    assert(chosen, 'no preferred quick fix for ' .. code .. ' among ' .. #actions .. ' actions')
    log('applying: ' .. chosen.title)
    vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
    assert(buffer_text(buf):find(expect, 1, true), 'after the fix the buffer reads: ' .. buffer_text(buf))
    -- The server lints the edited text: that finding must go away.
    local gone = vim.wait(TIMEOUT, function()
      local r = raw[uri]
      return r ~= nil and find(r.diagnostics, code) == nil
    end, 50)
    assert(gone, code .. ' is still reported after the fix: ' .. codes(raw[uri].diagnostics))
  end
  apply_fix('plausibility/word-choice', 'letter from the council')
  apply_fix('plausibility/spelling', 'a beautiful day')
  log('buffer: ' .. buffer_text(buf))

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end

local ok, err = pcall(run)
if ok then
  log('PASS')
  vim.cmd('qall!')
else
  log('FAIL: ' .. tostring(err))
  vim.cmd('cquit 1')
end
